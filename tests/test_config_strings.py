"""No string of the config, the codebook or the hypotheses register can run code: every field that
computes something goes through the checked grammar when the workflow is built, before any job."""

from __future__ import annotations

import copy

import pytest
import yaml

from alliancegov.codebook.tables import Codebook
from alliancegov.config_strings import analysis_names, check_project_strings
from alliancegov.expressions import ExpressionError
from tests.conftest import ROOT, copy_project, snakemake

FILES = dict(config_file="config/config.yaml", register_file="config/hypotheses.yaml",
             variables_file="config/codebook/variables.csv")


@pytest.fixture(scope="module")
def project_files():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    register = yaml.safe_load((ROOT / "config" / "hypotheses.yaml").read_text(encoding="utf-8"))
    return config, register


def payload(marker) -> str:
    """Python that would create ``marker`` if anything evaluated it."""
    return f"__import__('pathlib').Path({str(marker)!r}).touch()"


def test_the_projects_own_strings_pass(project_files, codebook):
    config, register = project_files
    # 39: main's 36, and misalignment.switching.formula and alliance_age (a derived variable, an importance group)
    assert check_project_strings(config, codebook, register, **FILES) == 39


def set_config(config, path, text):
    section = config
    for key in path[:-1]:
        section = section.setdefault(key, {})
    section[path[-1]] = text


CONFIG_ROUTES = [
    (("choice", "formula"), "formula", "trust + C(sector, Treatment('services' + {payload} * ''))", "choice.formula"),
    (("choice", "variants", "hostile"), "formula", "trust + I({payload})", "choice.variants.hostile"),
    (("choice", "binary_outcome"), "expression", "(trust > 3) | {payload}", "choice.binary_outcome"),
    (("performance", "formula"), "formula", "trust + np.log(trust)", "performance.formula"),
    (("performance", "interaction"), "formula", "trust * {payload}", "performance.interaction"),
    (("performance", "derived", "hostile"), "expression", "log(trust) + @pd.io.common.os.system('id')",
     "performance.derived.hostile"),
    (("misalignment", "controls"), "formula", "trust + ().__class__.__bases__[0]", "misalignment.controls"),
    (("importance", "groups", "hostile"), "formula", "{payload}", "importance.groups.hostile"),
]


@pytest.mark.parametrize(("path", "kind", "text", "field"), CONFIG_ROUTES, ids=[route[3] for route in CONFIG_ROUTES])
def test_every_config_route_refuses_code_naming_the_field(project_files, codebook, tmp_path, path, kind, text,
                                                            field):
    config, register = copy.deepcopy(project_files[0]), project_files[1]
    marker = tmp_path / "MARKER"
    set_config(config, path, text.format(payload=payload(marker)))
    with pytest.raises(ExpressionError) as raised:
        check_project_strings(config, codebook, register, **FILES)
    assert raised.value.source == f"config/config.yaml: {field}"
    assert raised.value.token and raised.value.column >= 1
    assert not marker.exists()


REGISTER_ROUTES = [("expression", "expression"), ("formula", "formula"), ("event", "expression"),
                   ("censor_time", "expression"), ("subset", "expression"), ("exposure", "expression")]


@pytest.mark.parametrize(("field", "kind"), REGISTER_ROUTES, ids=[route[0] for route in REGISTER_ROUTES])
def test_every_register_route_refuses_code_naming_the_check(project_files, codebook, tmp_path, field, kind):
    config, register = project_files[0], copy.deepcopy(project_files[1])
    marker = tmp_path / "MARKER"
    register["hypotheses"][1]["checks"].append({"test": "proportion", field: payload(marker), "expected": "positive"})
    number = len(register["hypotheses"][1]["checks"])
    with pytest.raises(ExpressionError) as raised:
        check_project_strings(config, codebook, register, **FILES)
    assert raised.value.source == f"config/hypotheses.yaml: {register['hypotheses'][1]['id']} check {number}, {field}"
    assert raised.value.token == "__import__"
    assert not marker.exists()


def test_the_time_to_event_block_is_checked(project_files, codebook):
    config, register = project_files[0], copy.deepcopy(project_files[1])
    register["time_to_event"]["censor_time"] = "(survey_year - relationship_start_year).real * 12"
    with pytest.raises(ExpressionError, match=r"time_to_event, censor_time"):
        check_project_strings(config, codebook, register, **FILES)


def test_a_codebook_condition_refusing_code_names_its_row(project_files, codebook, tmp_path):
    config, register = project_files
    marker = tmp_path / "MARKER"
    variables = codebook.variables.copy()
    row = variables.index.get_loc("tr1")
    variables.iloc[row, variables.columns.get_loc("relevant")] = f"governance_form != 'x' or {payload(marker)}"
    hostile = Codebook(variables, codebook.value_sets, codebook.scales)
    with pytest.raises(ExpressionError) as raised:
        check_project_strings(config, hostile, register, **FILES)
    assert raised.value.source == f"config/codebook/variables.csv row {row + 2} (tr1), column relevant"
    assert not marker.exists()


def test_a_name_the_project_does_not_have_is_refused(project_files, codebook):
    config = copy.deepcopy(project_files[0])
    config["choice"]["formula"] += " + trsut"
    with pytest.raises(ExpressionError, match="trsut"):
        check_project_strings(config, codebook, project_files[1], **FILES)


def test_names_are_the_analysed_columns_and_what_the_stages_add(project_files, codebook):
    names = analysis_names(codebook, project_files[0])
    assert {"trust", "asset_specificity", "sector", "sector__code", "distribution_channels__n", "employee_growth",
            "performance_index", "misfit", "survey_year"} <= names
    assert not names & set(codebook.of_role("identifying", "free_text"))   # dropped at ingestion


def test_the_workflow_stops_before_any_job(tmp_path):
    copy_project(tmp_path)
    marker = tmp_path / "MARKER"
    config = (tmp_path / "config" / "config.yaml").read_text(encoding="utf-8")
    variant = "    tce_core: asset_specificity + environmental_uncertainty + behavioural_uncertainty\n"
    assert variant in config
    config = config.replace(variant, variant + f'    hostile: "trust + I({payload(marker)})"\n', 1)
    (tmp_path / "config" / "config.yaml").write_text(config, encoding="utf-8")
    result = snakemake(tmp_path, "--cores", "1", "--dry-run")
    assert result.returncode != 0
    assert "choice.variants.hostile" in result.stderr + result.stdout
    assert not marker.exists() and not (tmp_path / "results").exists()


def test_a_crosswalk_is_data_in_every_column(tmp_path):
    """A crosswalk only renames, drops and recodes: a payload in any of its cells is a name or an
    answer like any other, never run."""
    import pandas as pd

    from alliancegov.ingest.crosswalk import apply_crosswalk, load_crosswalk

    marker = tmp_path / "MARKER"
    code = payload(marker)
    path = tmp_path / "crosswalk.csv"
    pd.DataFrame([(code, "sector", "", ""), ("", "sector", code, code), ("secteur", code, "", "")],
                 columns=["source", "variable", "source_value", "value"]).to_csv(path, index=False)
    cells = pd.DataFrame({code: ["textile"], "secteur": [code]})
    renamed, applied = apply_crosswalk(cells, load_crosswalk(path))
    assert applied["renamed"] and not marker.exists()
    assert code in set(renamed.columns) | set(renamed.iloc[0])   # kept as text, to be refused as an unknown name

"""Stages from the config: a section left out turns its stage off, and `all` asks for what is configured.

The unit tests read :class:`alliancegov.stages.Stages` without Snakemake; the dry runs build the DAG of
the bundled project with one optional section (or option) removed at a time and check the jobs planned.
"""

import copy
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from alliancegov.stages import StageConfigurationError, Stages, register_tables
from tests.conftest import ROOT, job_stats, snakemake

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
REGISTER = yaml.safe_load((ROOT / "config" / "hypotheses.yaml").read_text(encoding="utf-8"))
CHOICE_ONLY = {"waves": "config/waves.tsv", "codebook": "config/codebook", "language": "en",
               "ingest": {"required_columns": ["y"]}, "qc": {"exclusion_rules": []},
               "choice": {"outcome": "y", "base": "a", "formula": "x", "cov_type": "model", "ordered": False,
                          "cv_folds": 0},
               "figures": {"group": "g"}, "report": {"title": "t"}}


def without(config: dict, *paths: str) -> dict:
    """A deep copy of ``config`` with the dotted keys removed."""
    config = copy.deepcopy(config)
    for path in paths:
        *parents, key = path.split(".")
        section = config
        for parent in parents:
            section = section[parent]
        section.pop(key)
    return config


def test_the_bundled_config_turns_every_stage_on():
    stages = Stages.from_config(CONFIG, n_waves=3, register=REGISTER)
    assert all([stages.multinomial, stages.ordered, stages.binary, stages.profiles, stages.cv, stages.bootstrap,
                stages.variants, stages.nested, stages.performance, stages.misalignment, stages.importance,
                stages.hypotheses, stages.waves, stages.panel, stages.measurement, stages.wave_models])
    assert stages.rules == ["pool", "descriptives", "choice", "choice_bootstrap", "measurement", "performance",
                            "misalignment", "hypotheses", "waves", "figures_descriptive", "figures_models",
                            "figures_waves", "publication_tables", "report"]
    assert stages.figures["figures_waves"] == ["form_shares_by_wave", "transitions_alluvial"]


def test_a_choice_only_config_asks_for_the_choice_stage_and_the_report_alone():
    stages = Stages.from_config(CHOICE_ONLY, n_waves=1)
    assert stages.rules == ["pool", "descriptives", "choice", "figures_descriptive", "figures_models",
                            "publication_tables", "report"]
    assert stages.figures == {"figures_descriptive": ["form_by_sector", "sample_flow"],
                              "figures_models": ["choice_coefficients", "choice_ame"], "figures_waves": []}
    assert not (stages.waves or stages.panel or stages.hypotheses or stages.performance or stages.profiles)


def test_the_switching_regressions_follow_their_subsection():
    assert Stages.from_config(CONFIG, n_waves=3, register=REGISTER).switching
    assert not Stages.from_config(without(CONFIG, "misalignment.switching"), n_waves=3, register=REGISTER).switching
    assert not Stages.from_config(CHOICE_ONLY, n_waves=1).switching


def test_power_planning_is_refused_without_what_it_simulates():
    assert Stages.from_config(CONFIG, n_waves=3, register=REGISTER).check_power() == []
    with pytest.raises(StageConfigurationError, match="this configuration lacks the misalignment section, the "
                                                      "hypotheses register"):
        Stages.from_config(CHOICE_ONLY, n_waves=1).check_power()


def test_waves_and_panel_follow_the_waves_sheet_and_the_firm_identifier():
    several = Stages.from_config(CHOICE_ONLY, n_waves=2)
    assert several.waves and several.wave_models and not several.panel
    assert several.figures["figures_waves"] == ["form_shares_by_wave"]          # no alluvial without a panel
    linked = Stages.from_config({**CHOICE_ONLY, "ingest": {"required_columns": [], "firm_id_column": "id"}}, 2)
    assert linked.panel and linked.figures["figures_waves"] == ["form_shares_by_wave", "transitions_alluvial"]


@pytest.mark.parametrize("choice, on", [
    ({"multinomial": False, "ordered": True}, {"ordered"}),
    ({"multinomial": False, "binary_outcome": "y == 'a'"}, {"binary"}),
    ({"profiles": ["x"]}, {"multinomial", "profiles"}),
    ({"bootstrap_replicates": 9}, {"multinomial", "bootstrap"}),
    ({"bootstrap_replicates": 9, "cov_type": "design", "sampling_weights": "w"}, {"multinomial"}),
    ({"cv_folds": 5}, {"multinomial", "cv"}),
    ({"variants": {"v": "x"}, "nests": {"n": ["a"]}}, {"multinomial", "variants", "nested"}),
    ({"multinomial": False, "ordered": True, "profiles": ["x"], "cv_folds": 5, "bootstrap_replicates": 9,
      "variants": {"v": "x"}}, {"ordered"}),     # the multinomial logit's options without it
])
def test_the_choice_sections_options_turn_its_tables_on(choice, on):
    stages = Stages.from_config({**CHOICE_ONLY, "choice": {**CHOICE_ONLY["choice"], **choice}}, n_waves=1)
    flags = ("multinomial", "ordered", "binary", "profiles", "cv", "bootstrap", "variants", "nested")
    assert {flag for flag in flags if getattr(stages, flag)} == on
    assert ("choice_bootstrap" in stages.rules) == ("bootstrap" in on)
    assert ("choice_coefficients" in stages.figures["figures_models"]) == ("multinomial" in on)


def test_an_ordinal_only_analysis_needs_no_base_and_something_to_fit():
    ordinal = {key: value for key, value in CHOICE_ONLY["choice"].items() if key != "base"}
    assert not Stages.from_config({**CHOICE_ONLY, "choice": {**ordinal, "multinomial": False, "ordered": True}},
                                  1).multinomial
    with pytest.raises(ValueError, match="choice.base is needed with the multinomial logit"):
        Stages.from_config({**CHOICE_ONLY, "choice": ordinal}, 1)
    with pytest.raises(ValueError, match="neither choice.ordered nor choice.binary_outcome"):
        Stages.from_config({**CHOICE_ONLY, "choice": {**CHOICE_ONLY["choice"], "multinomial": False}}, 1)


@pytest.mark.parametrize("removed, message", [
    (["performance"], "the misalignment section needs the performance section"),
    (["misalignment"], "importance.groups decomposes the R² of the misalignment outcome"),
])
def test_a_stage_without_what_it_rests_on_is_refused(removed, message):
    with pytest.raises(StageConfigurationError, match=message):
        Stages.from_config(without(CONFIG, *removed), n_waves=3)


def test_the_misalignment_models_need_the_multinomial_logit():
    config = copy.deepcopy(CONFIG)
    config["choice"]["multinomial"] = False
    with pytest.raises(StageConfigurationError, match=r"needs the multinomial logit \(choice.multinomial\)"):
        Stages.from_config(config, n_waves=3)


def test_a_register_reading_a_table_no_stage_writes_is_refused_naming_the_checks():
    assert register_tables(REGISTER)["misalignment"] == ["H7 check 2"]
    with pytest.raises(StageConfigurationError, match=r"H7 check 2 reads misalignment; H7 check 3 reads "
                                                      r"importance\. Configure the stage"):
        Stages.from_config(without(CONFIG, "misalignment", "importance"), n_waves=3, register=REGISTER)
    # the same register against one wave: H4's panel checks have no transitions to read
    with pytest.raises(StageConfigurationError, match="reads? panel_deepening"):
        Stages.from_config(CONFIG, n_waves=1, register=REGISTER)


# ---------------------------------------------------------------------------------------------------
# dry runs of the bundled project, one optional section removed at a time
# ---------------------------------------------------------------------------------------------------

ALL_RULES = {"ingest", "clean", "pool", "constructs", "descriptives", "choice", "choice_bootstrap_part",
             "choice_bootstrap", "measurement", "performance", "misalignment_bootstrap_part", "misalignment",
             "hypotheses", "waves", "figures_descriptive", "figures_models", "figures_waves", "publication_tables",
             "report", "summary", "all"}


def planned(project: Path) -> Counter:
    result = snakemake(project, "--dry-run", "--quiet", "rules")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return job_stats(result.stdout)


def bundled_project(tmp_path: Path, config: dict, keep_waves: int = 3) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for part in ("Snakefile", "config", "workflow", "data"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, project / part)
    (project / "config" / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    sheet = (project / "config" / "waves.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    (project / "config" / "waves.tsv").write_text("".join(sheet[:1 + keep_waves]), encoding="utf-8")
    return project


PANEL_REGISTER_FREE = "hypotheses"   # the bundled register reads every optional table: leave it out with them
DRY_RUNS = {
    # removed keys (dotted), waves kept, rules no longer planned
    "performance": (["performance", "misalignment", "importance", PANEL_REGISTER_FREE], 3,
                    {"performance", "misalignment", "misalignment_bootstrap_part", "hypotheses"}),
    "misalignment": (["misalignment", "importance", PANEL_REGISTER_FREE], 3,
                     {"misalignment", "misalignment_bootstrap_part", "hypotheses"}),
    "importance": (["importance", PANEL_REGISTER_FREE], 3, {"hypotheses"}),
    "switching": (["misalignment.switching"], 3, set()),   # the misalignment rule without its switching tables
    "hypotheses": ([PANEL_REGISTER_FREE], 3, {"hypotheses"}),
    "measurement": (["measurement"], 3, {"measurement"}),
    "bootstrap": (["choice.bootstrap_replicates"], 3, {"choice_bootstrap", "choice_bootstrap_part"}),
    "variants": (["choice.variants"], 3, set()),
    "binary": (["choice.binary_outcome"], 3, set()),
    "profiles": (["choice.profiles", "choice.profile_by"], 3, set()),
    "nests": (["choice.nests"], 3, set()),
    "one_wave": ([PANEL_REGISTER_FREE], 1, {"waves", "figures_waves", "hypotheses"}),
    "no_firm_identifier": (["ingest.firm_id_column", PANEL_REGISTER_FREE], 3, {"hypotheses"}),
}


@pytest.mark.slow  # a Snakemake dry run each (~4 s): the slow tier keeps the fast one under 2 minutes
@pytest.mark.parametrize("case", list(DRY_RUNS))
def test_a_config_with_an_optional_section_removed_builds_its_dag(tmp_path, case):
    removed, waves, off = DRY_RUNS[case]
    config = without(CONFIG, *removed)
    if case == "no_firm_identifier":
        config["ingest"]["required_columns"].remove("registry_number")
        config["qc"]["exclusion_rules"].remove("duplicate_firm")
    jobs = planned(bundled_project(tmp_path, config, keep_waves=waves))
    assert set(jobs) == ALL_RULES - off
    assert jobs["ingest"] == waves


@pytest.mark.slow  # a Snakemake dry run each
@pytest.mark.parametrize("flag, value", [("ordered", False), ("cv_folds", 0), ("multinomial", False)])
def test_a_choice_option_switched_off_builds_its_dag(tmp_path, flag, value):
    config = without(CONFIG, "misalignment", "importance", PANEL_REGISTER_FREE) if flag == "multinomial" \
        else copy.deepcopy(CONFIG)
    config["choice"][flag] = value
    jobs = planned(bundled_project(tmp_path, config))
    off = {"hypotheses", "misalignment", "misalignment_bootstrap_part", "choice_bootstrap", "choice_bootstrap_part"} \
        if flag == "multinomial" else set()
    assert set(jobs) == ALL_RULES - off

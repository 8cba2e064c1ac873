import shutil

import pandas as pd
import pandera.errors
import pytest

from alliancegov.codebook.labels import normalise_label
from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.validation import validation_schema
from alliancegov.codebook.vocabulary import MISSING_KINDS, CodebookError
from tests.conftest import CODEBOOK_DIR


def test_codebook_covers_the_domain(codebook):
    names = set(codebook.variables["name"])
    required = {
        "sector", "region", "employees_now", "firm_age", "floor_area_now", "export_share",
        "international_experience", "technology_level", "target_market", "partner_origin", "partner_size",
        "partner_multinational", "relationship_start_year", "revenue_share_partner", "n_major_clients",
        "governance_form", "equity_stake", "new_legal_entity", "control_orientation", "control_direction",
        "meeting_frequency", "months_to_partnership", "employees_start", "floor_area_start", "revenue_trend",
        "serve_other_partner", "consent", "interview_duration_min", "attention_check", "firm_name",
        "respondent_name", "phone", "email", "registry_number", "comment",
    }
    assert required <= names
    assert codebook.answer_names("governance_form") == [
        "repeated_contract", "licensing", "supply_chain_partnership", "joint_venture"]
    for scale in codebook.scales["scale"]:
        items = codebook.items(scale)
        assert len(items) >= 3, scale
    assert codebook.variables["reverse"].sum() >= 6
    assert (codebook.variables["label_fr"] != "").all() and (codebook.variables["label_en"] != "").all()


def test_missing_codes_are_distinct_kinds(codebook):
    assert set(codebook.missing_codes("as1").values()) == set(MISSING_KINDS)
    assert codebook.missing_codes("employees_now") == {9997: "not_applicable", 9998: "refused", 9999: "dont_know"}
    assert codebook.missing_codes("firm_name") == {}


def test_bounds_resolve_survey_year(codebook):
    assert codebook.bounds("relationship_start_year", 2025) == (1970.0, 2025.0)
    assert codebook.bounds("export_share", 2025) == (0.0, 100.0)


@pytest.mark.parametrize("text,expected", [("  Élevé ", "eleve"), ("PLUTÔT  d’accord", "plutot d'accord"),
                                           ("Meknès-Tafilalet", "meknes-tafilalet")])
def test_normalise_label(text, expected):
    assert normalise_label(text) == expected


def test_inconsistent_codebook_is_refused(tmp_path):
    shutil.copytree(CODEBOOK_DIR, tmp_path / "cb")
    variables = pd.read_csv(tmp_path / "cb" / "variables.csv", dtype=str, keep_default_na=False)
    variables.loc[variables["name"] == "sector", "list_name"] = "sectors_typo"
    variables.to_csv(tmp_path / "cb" / "variables.csv", index=False)
    with pytest.raises(CodebookError, match="sectors_typo"):
        Codebook.from_dir(tmp_path / "cb")


def test_generated_schema_rejects_what_the_codebook_forbids(codebook):
    schema = validation_schema(codebook, survey_year=2025)
    good = pd.DataFrame({"as1": [1.0, 5.0, None], "sector": ["textile", "services", None],
                         "relationship_start_year": [2020.0, 2025.0, None]})
    schema.validate(good)
    bad = pd.DataFrame({"as1": [7.0, 2.5, 3.0], "sector": ["textile", "mining", "services"],
                        "relationship_start_year": [2020.0, 2026.0, 2019.0]})
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        schema.validate(bad, lazy=True)
    cases = caught.value.failure_cases
    found = set(zip(cases["column"], cases["index"]))
    assert {("as1", 0), ("as1", 1), ("sector", 1), ("relationship_start_year", 1)} <= found

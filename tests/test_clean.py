import pandas as pd
import pytest

from alliancegov.clean import RULES, QualitySettings, clean_wave, pool_waves, split_missing_codes
from alliancegov.ingest import IngestSettings, ingest_wave
from alliancegov.simulate import add_mess, write_sav


@pytest.fixture
def messy_ingested(codebook, small_waves, tmp_path, hmac_key):
    messy, mess = add_mess(small_waves[2], codebook, seed=11)
    path = tmp_path / "w.sav"
    write_sav(messy, path, codebook)
    frame, _ = ingest_wave(
        path,
        "sav",
        "w2026",
        codebook,
        key=hmac_key,
        settings=IngestSettings("registry_number", tuple(["submission_id"])),
    )
    return frame, mess


def test_every_planted_problem_is_excluded_for_its_reason(messy_ingested, codebook):
    frame, mess = messy_ingested
    result = clean_wave(frame, codebook, QualitySettings(), survey_year=2026)
    reasons = dict(
        zip(
            result.exclusions["submission_id"] + "#" + result.exclusions["source_row"].astype(str),
            result.exclusions["rule"],
        )
    )
    by_rule = result.exclusions.groupby("rule")["submission_id"].apply(sorted).to_dict()
    for problem in (
        "no_consent",
        "out_of_range",
        "speeder",
        "straightlining",
        "failed_attention_check",
        "duplicate_firm",
    ):
        assert by_rule[problem] == sorted(mess.planted[problem]), problem
    assert by_rule["duplicate_submission"] == sorted(mess.planted["duplicate_submission"])
    assert len(reasons) == len(result.exclusions)
    offending = result.exclusions.set_index("rule")["offending"]
    assert offending["no_consent"] == "consent=no"
    assert set(offending[["out_of_range"]]) == {"as2=7.0", "employees_now=-5.0", "export_share=150.0"}


def test_rows_are_accounted_for(messy_ingested, codebook):
    frame, _ = messy_ingested
    result = clean_wave(frame, codebook, QualitySettings(), survey_year=2026)
    flow = result.flow.set_index(["step", "reason"])["n"]
    assert flow["received", ""] == len(frame)
    assert flow["analysed", ""] == len(result.analysed)
    assert flow["received", ""] == flow["analysed", ""] + flow["excluded"].sum()
    assert set(result.flow.loc[result.flow["step"] == "excluded", "reason"]) == set(RULES)


def test_rule_order_decides_the_reason(messy_ingested, codebook):
    frame, mess = messy_ingested
    straight = mess.planted["straightlining"][0]
    frame = frame.copy()
    frame.loc[frame["submission_id"] == straight, "interview_duration_min"] = 1.0  # also a speeder now
    default = clean_wave(frame, codebook, QualitySettings(), survey_year=2026)
    reordered = clean_wave(
        frame,
        codebook,
        QualitySettings(
            exclusion_rules=("no_consent", "duplicate_submission", "duplicate_firm", "straightlining", "speeder")
        ),
        survey_year=2026,
    )

    def rule(result):
        return result.exclusions.set_index("submission_id").at[straight, "rule"]

    assert rule(default) == "speeder" and rule(reordered) == "straightlining"
    # a rule left out of the list flags but excludes nobody
    assert "failed_attention_check" not in set(reordered.exclusions["rule"])
    assert len(reordered.analysed) == len(default.analysed) + len(mess.planted["failed_attention_check"]) + len(
        mess.planted["out_of_range"]
    )


def test_missing_codes_become_missing_and_are_counted_by_kind(codebook):
    frame = pd.DataFrame(
        {
            "as1": [1.0, 98.0, 99.0, None],
            "sector": ["textile", "dont_know", "refused", None],
            "employees_now": [12.0, 9999.0, 9997.0, 40.0],
        }
    )
    values, counts = split_missing_codes(frame, codebook)
    assert values["as1"].tolist()[:1] == [1.0] and values["as1"].isna().sum() == 3
    assert values["sector"].isna().sum() == 3
    n = counts.set_index(["variable", "kind"])["n"]
    assert n["as1", "refused"] == 1 and n["as1", "dont_know"] == 1 and n["as1", "blank"] == 1
    assert n["employees_now", "not_applicable"] == 1 and n["sector", "dont_know"] == 1


def test_pooling_adds_the_pooled_flow(messy_ingested, codebook):
    frame, _ = messy_ingested
    one = clean_wave(frame, codebook, QualitySettings(), survey_year=2026)
    two = clean_wave(frame.assign(wave="other"), codebook, QualitySettings(), survey_year=2026)
    pooled = pool_waves([one, two], RULES)
    total = pooled.flow[pooled.flow["wave"] == "all"].set_index(["step", "reason"])["n"]
    assert total["received", ""] == 2 * len(frame)
    assert total["analysed", ""] == len(pooled.analysed) == 2 * len(one.analysed)

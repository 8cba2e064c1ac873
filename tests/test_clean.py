import pandas as pd
import pytest

from alliancegov.clean.nonresponse import item_nonresponse, respondent_nonresponse, split_missing_codes
from alliancegov.clean.quality import RULES, QualitySettings
from alliancegov.clean.stage import clean_wave
from alliancegov.ingest.stage import IngestSettings, ingest_wave
from alliancegov.pool import pool_waves
from alliancegov.simulate.exports import write_sav
from alliancegov.simulate.mess import add_mess


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
    left_out = ("failed_attention_check", "out_of_range", "skip_logic")
    assert len(reordered.analysed) == len(default.analysed) + sum(len(mess.planted[r]) for r in left_out)


def test_missing_codes_become_missing_and_are_counted_by_kind(codebook):
    frame = pd.DataFrame(
        {
            "as1": [1.0, 98.0, 99.0, None],
            "sector": ["textile", "dont_know", "refused", None],
            "employees_now": [12.0, 9999.0, 9997.0, 40.0],
        }
    )
    values, kinds = split_missing_codes(frame, codebook)
    assert values["as1"].tolist()[:1] == [1.0] and values["as1"].isna().sum() == 3
    assert values["sector"].isna().sum() == 3
    n = item_nonresponse(kinds).set_index(["variable", "kind"])
    assert n.at[("as1", "refused"), "n"] == 1 and n.at[("as1", "dont_know"), "n"] == 1
    assert n.at[("as1", "blank"), "n"] == 1 and n.at[("as1", "blank"), "share"] == 0.25
    assert n.at[("employees_now", "not_applicable"), "n"] == 1 and n.at[("sector", "dont_know"), "n"] == 1
    per_row = respondent_nonresponse(kinds, frame.assign(firm_key="f", source_row=[2, 3, 4, 5]))
    assert per_row[["dont_know", "refused", "not_applicable", "blank"]].to_numpy().tolist() == [
        [0, 0, 0, 0], [2, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 2]]
    assert per_row["share_missing"].tolist()[1:3] == [1.0, 1.0]  # 2 of the 2 applicable items in row 3


def test_skip_logic_flags_answers_where_the_question_did_not_apply(messy_ingested, codebook, small_waves):
    frame, mess = messy_ingested
    result = clean_wave(frame, codebook, QualitySettings(), survey_year=2026)
    skipped = result.exclusions[result.exclusions["rule"] == "skip_logic"]
    assert skipped["submission_id"].tolist() == mess.planted["skip_logic"]
    assert skipped["offending"].tolist() == ["months_to_partnership=12.0"]
    # a partnership coded "non applicable" breaks the same rule the other way
    flipped = frame.copy()
    partner = flipped.index[flipped["governance_form"].eq("joint_venture")][0]
    flipped.loc[partner, "months_to_partnership"] = 9997.0
    again = clean_wave(flipped, codebook, QualitySettings(), survey_year=2026)
    row = again.exclusions.set_index("source_row").loc[flipped.at[partner, "source_row"]]
    assert row["rule"] == "skip_logic" and row["offending"] == "months_to_partnership=non applicable"


def test_pooling_adds_the_pooled_flow(messy_ingested, codebook):
    frame, _ = messy_ingested
    one = clean_wave(frame, codebook, QualitySettings(), survey_year=2026)
    two = clean_wave(frame.assign(wave="other"), codebook, QualitySettings(), survey_year=2026)
    pooled = pool_waves([one, two], RULES)
    total = pooled.flow[pooled.flow["wave"] == "all"].set_index(["step", "reason"])["n"]
    assert total["received", ""] == 2 * len(frame)
    assert total["analysed", ""] == len(pooled.analysed) == 2 * len(one.analysed)

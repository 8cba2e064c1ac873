"""Each job reads only the columns of the pooled frame it uses (alliancegov.frame_columns): every stage that
reads the analysis frame (or the performance stage's enriched frame, or the pooled responses) asks
``pandas.read_parquet`` for named columns, never for all of them (the constructs job alone reads and writes
every column), and leaves out a wide column no
setting names. The recorded outputs test (tests/test_pipeline.py) shows the results did not move."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from alliancegov.frame_columns import IDENTIFIERS, ROW_KEY, named_in, read_frame, read_joined, with_scale_items

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK_DIR = ROOT / "config" / "codebook"

CODEBOOK = [str(CODEBOOK_DIR / name) for name in ("variables.csv", "value_sets.csv", "scales.csv")]
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
REGISTER = ROOT / "config" / "hypotheses.yaml"
UNUSED = "unused_free_text"   # a wide column no setting names


def test_named_in_takes_every_word_of_nested_settings_but_quoted_literals():
    settings = {"formula": "trust + C(sector, Treatment('services'))", "groups": {"size": "log(employees_now)"},
                "outcome": "governance_form", "list": ["a__code", 3, None]}
    assert named_in(settings) == {"formula", "trust", "C", "sector", "Treatment", "groups", "size", "log",
                                  "employees_now", "outcome", "governance_form", "list", "a__code"}


def test_read_frame_keeps_the_named_columns_their_codes_and_the_identifiers_in_file_order(tmp_path):
    path = tmp_path / "frame.parquet"
    frame = pd.DataFrame({"trust": [1.0, 2.0], "firm_key": ["a", "b"], UNUSED: ["x" * 50, "y"], "wave": ["w1", "w2"],
                          "sector": ["s", "t"], "sector__code": [1, 2], "sectoral": [0, 0]})
    frame.to_parquet(path, index=False)
    read = read_frame(str(path), {"sector", "trust", "not_a_column"})
    assert list(read.columns) == ["trust", "firm_key", "wave", "sector", "sector__code"]
    pd.testing.assert_frame_equal(read, frame[list(read.columns)])


def test_read_joined_puts_a_stages_columns_on_its_rows_of_the_analysis_frame(tmp_path):
    analysis = pd.DataFrame({"firm_key": ["a", "b", "c", "d"], "trust": [1.0, 2.0, 3.0, 4.0],
                             "sector": pd.Categorical(["s", "t", "s", "t"]), UNUSED: ["x", "y", "z", "w"],
                             "outcome": [0.5, 0.6, 0.7, 0.8]})
    # the stage kept rows 3 and 1 (in that order), rewrote outcome there and added a measure
    stage = pd.DataFrame({"trust": [4.0, 2.0], "outcome": [9.0, 8.0], "misfit": [0.1, 0.2], ROW_KEY: [3, 1]})
    analysis.to_parquet(tmp_path / "analysis.parquet", index=False)
    stage.to_parquet(tmp_path / "stage.parquet", index=False)
    joined = read_joined(str(tmp_path / "stage.parquet"), str(tmp_path / "analysis.parquet"), {"sector", "trust"})
    expected = pd.DataFrame({"firm_key": ["d", "b"], "trust": [4.0, 2.0],
                             "sector": pd.Categorical(["t", "t"], categories=["s", "t"]), "outcome": [9.0, 8.0],
                             "misfit": [0.1, 0.2]})
    pd.testing.assert_frame_equal(joined, expected)


def test_with_scale_items_adds_the_items_of_the_named_scales(codebook):
    names = with_scale_items({"trust", "sector"}, codebook)
    assert {"trust", "sector", *codebook.items("trust")["name"]} == names


class Read(Exception):
    """Raised by the recording read_parquet once a stage has asked for the frame: what follows is not tested."""


@pytest.fixture
def frame_path(tmp_path, codebook):
    """A one-row frame with every column any stage could ask for, and a wide unused one."""
    columns = {*IDENTIFIERS, *named_in(CONFIG), *named_in(yaml.safe_load(REGISTER.read_text(encoding="utf-8"))),
               *codebook.variables.index, *with_scale_items(codebook.scales.index, codebook)}
    columns |= {f"{name}__code" for name in codebook.variables.index}
    path = tmp_path / "analysis.parquet"
    pd.DataFrame({name: [1.0] for name in sorted(columns)} | {UNUSED: ["text"]}).to_parquet(path, index=False)
    return str(path)


@pytest.fixture
def requested(monkeypatch, frame_path):
    """The columns each read of the frame asked for (None: all of them)."""
    asked = []
    original = pd.read_parquet

    def recording(path, *args, columns=None, **kwargs):
        if str(path) != frame_path:
            return original(path, *args, columns=columns, **kwargs)
        asked.append(columns)
        raise Read

    monkeypatch.setattr(pd, "read_parquet", recording)
    return asked


def _choice(data):
    from alliancegov.choice.stage import run

    run(data=data, codebook=CODEBOOK, outputs={}, spec=CONFIG["choice"], missing_data=CONFIG["missing_data"])


def _choice_bootstrap_part(data):
    from alliancegov.choice.bootstrap import run_part

    run_part(data=data, codebook=CODEBOOK, outputs={}, spec=CONFIG["choice"], parts=2, part=0)


def _choice_bootstrap(data):
    from alliancegov.choice.bootstrap import run

    run(data=data, codebook=CODEBOOK, parts=[], outputs={}, spec=CONFIG["choice"])


MISALIGNMENT = {key: CONFIG[key] for key in ("performance", "misalignment")}


def _performance(data):
    from alliancegov.performance.stage import run

    run(data=data, codebook=CODEBOOK, outputs={}, choice=CONFIG["choice"], missing_data=CONFIG["missing_data"],
        settings={key: CONFIG.get(key, {}) for key in ("performance", "misalignment", "importance", "form_effects")})


def _misalignment_part(data):
    from alliancegov.misalignment.stage import run_part

    run_part(data=data, codebook=CODEBOOK, outputs={}, settings=MISALIGNMENT, choice=CONFIG["choice"], parts=2,
             part=0)


def _misalignment(data):
    from alliancegov.misalignment.stage import run

    run(data=data, codebook=CODEBOOK, parts=[], outputs={}, settings=MISALIGNMENT, choice=CONFIG["choice"])


def _waves(data):
    from alliancegov.waves.stage import run

    run(data=data, codebook=CODEBOOK, outputs={}, spec=CONFIG["choice"], waves=["w1"], minimum_cell=5)


def _measurement(data):
    from alliancegov.measurement.stage import run

    run(data=data, sample_flow="unread.csv", codebook=CODEBOOK, outputs={}, settings=CONFIG["measurement"],
        performance=CONFIG["performance"], formulas={"choice": CONFIG["choice"]["formula"]})


def _hypotheses(data):
    from alliancegov.hypotheses.register import run

    run(data=data, register=str(REGISTER), outputs={}, choice=CONFIG["choice"],
        table_formulas={"choice_ame": [CONFIG["choice"]["formula"]]})


def _descriptives(data):
    from alliancegov.descriptives import run

    run(pooled=data, codebook=CODEBOOK, outputs={}, outcome="governance_form", group="sector",
        likert_scales=CONFIG["figures"]["likert_scales"], minimum_cell=5)


def _publication(data):
    from alliancegov.publication.stage import run

    run(data=data, codebook=CODEBOOK, outputs={}, language="en", choice_cov_type="cluster",
        performance_cov_type="cluster", descriptives=CONFIG["figures"]["descriptives"], outcome="governance_form",
        minimum_cell=5)


def _report(data):
    from alliancegov.report.stage import run

    run(figures=[], captions=[], tables=[], data=data, sample_flow="unread.csv", provenance=[],
        choice_warnings="unread.txt", codebook=CODEBOOK, waves="unread.tsv", outputs={}, config=CONFIG,
        language="en")


def _construct_scores_figure(data, monkeypatch):
    from alliancegov.figures import descriptive

    # only the figure drawn from the frame: the others read CSV tables
    monkeypatch.setattr(descriptive, "save_figures", lambda draw, outputs, style: draw["construct_scores"]())
    descriptive.run(analysis=data, form_by_sector="unread.csv", sample_flow="unread.csv", codebook=CODEBOOK,
                    outputs={}, language="en", outcome="governance_form", group="sector",
                    scales=CONFIG["figures"]["construct_scales"], likert_scales=[])


# each reader of the frame and columns it must ask for (its models' variables, the identifiers it needs)
READERS = {
    "choice": (_choice, {"governance_form", "asset_specificity", "sector", "firm_key", "complementarity_motive",
                         "equity_stake", "new_legal_entity"}),
    "choice_bootstrap_part": (_choice_bootstrap_part, {"governance_form", "trust", "sector", "firm_key"}),
    "choice_bootstrap": (_choice_bootstrap, {"governance_form", "trust", "sector", "firm_key"}),
    "performance": (_performance, {"employees_now", "floor_area_start", "revenue_trend", "revenue_trend__code",
                                   "serve_other_partner__code", "governance_form", "asset_specificity",
                                   "relationship_start_year", "survey_year", "firm_key", "sector"}),
    "misalignment_bootstrap_part": (_misalignment_part, {"performance_index", "governance_form", "trust",
                                                         "alliance_age", "asset_specificity", "firm_key"}),
    "misalignment": (_misalignment, {"performance_index", "partner_distance", "knowledge_tacitness", "firm_key"}),
    "waves": (_waves, {"wave", "survey_year", "firm_key", "same_alliance", "governance_form", "trust"}),
    "measurement": (_measurement, {"as1", "tr3", "blue_attitude", "bl4", "submission_time", "export_share", "wave",
                                   "sector"}),
    "hypotheses": (_hypotheses, {"months_to_partnership", "relationship_start_year", "meeting_frequency__code", "eu1",
                                 "distribution_channels__n", "firm_key"}),
    "descriptives": (_descriptives, {"governance_form", "sector", "as1", "tr2"}),
    "publication_tables": (_publication, {"governance_form", "satisfaction", "technology_level"}),
    "report": (_report, {"governance_form", "knowledge_tacitness", "target_market"}),
    "figures_descriptive": (_construct_scores_figure, {"governance_form", "trust", "knowledge_tacitness"}),
}


@pytest.mark.parametrize("rule", READERS)
def test_each_reader_of_the_frame_asks_for_its_columns_only(rule, frame_path, requested, monkeypatch):
    read, needed = READERS[rule]
    with pytest.raises(Read):
        read(frame_path, monkeypatch) if rule == "figures_descriptive" else read(frame_path)
    assert len(requested) == 1 and requested[0] is not None, "the whole frame was read"
    assert UNUSED not in requested[0]
    assert needed <= set(requested[0]), sorted(needed - set(requested[0]))

import hashlib
import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from alliancegov.ingest.stage import IngestSettings, WaveOptions, ingest_wave
from alliancegov.simulate.exports import make_example, write_dta, write_kobo_csv, write_plain_csv, write_sav, write_xlsx
from alliancegov.simulate.mess import add_mess
from alliancegov.simulate.population import simulate_waves
from alliancegov.simulate.truth import FORMS, TRUTH_FILE, choice_probabilities, load_truth, true_choice_coefficients
from tests.conftest import RAW_DIR


def test_simulation_is_deterministic(codebook):
    first = simulate_waves(50, [2024, 2025], seed=3, codebook=codebook)
    second = simulate_waves(50, [2024, 2025], seed=3, codebook=codebook)
    for a, b in zip(first, second):
        pd.testing.assert_frame_equal(a, b)
    other = simulate_waves(50, [2024], seed=4, codebook=codebook)[0]
    assert not other["governance_form"].equals(first[0]["governance_form"])


def test_panel_links_firms_across_waves(small_waves):
    w1, w2, _ = small_waves
    shared = set(w1["registry_number"]) & set(w2["registry_number"])
    assert len(shared) == round(0.5 * len(w1))
    both = w1.set_index("registry_number").loc[sorted(shared)]
    again = w2.set_index("registry_number").loc[sorted(shared)]
    assert (both["firm_name"] == again["firm_name"]).all() and (both["founding_year"] == again["founding_year"]).all()
    same = again["same_alliance"].eq("yes")        # a new alliance restarts (tests/test_simulate_models.py)
    assert same.mean() > 0.75
    assert (both.loc[same, "relationship_start_year"] == again.loc[same, "relationship_start_year"]).all()


def test_choice_probabilities_follow_the_true_logit(codebook):
    truth = load_truth()
    scores = pd.DataFrame(
        {
            "asset_specificity": [1.0, 5.0],
            "environmental_uncertainty": [3.0, 3.0],
            "behavioural_uncertainty": [3.0, 3.0],
            "trust": [3.0, 3.0],
            "knowledge_tacitness": [3.0, 3.0],
            "sector": ["services", "services"],
        }
    )
    probs = choice_probabilities(scores, truth)
    np.testing.assert_allclose(probs.sum(axis=1), 1)
    coefs = true_choice_coefficients(truth)
    # log-odds of joint venture against the base move by 4 × its asset-specificity coefficient
    change = np.log(probs[1, 3] / probs[1, 0]) - np.log(probs[0, 3] / probs[0, 0])
    assert change == pytest.approx(4 * coefs.loc["asset_specificity", "joint_venture"])
    assert list(coefs.columns) == list(FORMS[1:])


def test_mess_is_planted_as_declared(codebook, small_waves):
    truth = load_truth()
    messy, mess = add_mess(small_waves[0], codebook, seed=1)
    spec = truth["mess"]
    assert len(messy) == len(small_waves[0]) + spec["duplicate_submissions"] + spec["duplicate_firms"]
    assert len(mess.planted["no_consent"]) == spec["non_consenting"]
    assert (messy["comment"] == "<script>alert('alliancegov')</script>").sum() == 1
    assert messy["comment"].str.startswith("=HYPERLINK").sum() == 1
    assert messy["submission_id"].duplicated().sum() == spec["duplicate_submissions"]
    assert (messy[["as1", "tr2", "kt3"]].isin([98.0, 99.0])).to_numpy().sum() > 0


def test_every_export_format_ingests_to_the_same_canonical_data(codebook, small_waves, tmp_path, hmac_key):
    """The same answers as Kobo CSV, plain cp1252 CSV, Excel, SPSS and Stata read back identically."""
    messy, _ = add_mess(small_waves[1], codebook, seed=2)
    frames = {}
    for writer, fmt, name in [(write_kobo_csv, "kobo_csv", "w.csv"), (write_plain_csv, "csv", "plain.csv"),
                              (write_xlsx, "xlsx", "w.xlsx"), (write_sav, "sav", "w.sav"),
                              (write_dta, "dta", "w.dta")]:
        writer(messy, tmp_path / name, codebook)
        settings = IngestSettings("registry_number", ("submission_id",))
        # the plain export writes French decimal commas: its notation is declared, never guessed
        options = WaveOptions(locale="fr" if name == "plain.csv" else None)
        frame, provenance = ingest_wave(tmp_path / name, fmt, "w2025", codebook, key=hmac_key, settings=settings,
                                        options=options)
        frames[fmt] = frame.drop(columns="source_row")
    assert provenance["rows"] == len(messy)
    for fmt, frame in frames.items():
        pd.testing.assert_frame_equal(frames["kobo_csv"], frame, obj=fmt)
    canonical = frames["kobo_csv"]
    assert canonical["sector"].dropna().isin(["textile", "services"]).all()
    assert canonical["sector"].isna().sum() == 1  # the respondent who refused to take part
    assert (canonical["as1"] == 98).sum() + (canonical["as1"] == 99).sum() > 0  # missing codes kept as such
    # same_alliance does not apply at a firm's first interview: coded so, in every format
    first = messy["true_previous_form"].isna() & messy["consent"].eq("yes")
    assert canonical.loc[first.to_numpy(), "same_alliance"].eq("not_applicable").all()
    assert set(canonical.loc[~first.to_numpy(), "same_alliance"].dropna()) <= {"yes", "no"}

def test_bundled_example_is_what_the_simulator_writes(codebook, tmp_path):
    """data/raw holds exactly the seeded simulator's output (contents; xlsx/sav carry write stamps)."""
    make_example(tmp_path, codebook)
    assert (tmp_path / "wave_2024.csv").read_bytes() == (RAW_DIR / "wave_2024.csv").read_bytes()
    pd.testing.assert_frame_equal(pd.read_excel(tmp_path / "wave_2025.xlsx"), pd.read_excel(RAW_DIR / "wave_2025.xlsx"))
    fresh, fresh_meta = pyreadstat.read_sav(str(tmp_path / "wave_2026.sav"), user_missing=True)
    bundled, bundled_meta = pyreadstat.read_sav(str(RAW_DIR / "wave_2026.sav"), user_missing=True)
    pd.testing.assert_frame_equal(fresh, bundled)
    assert fresh_meta.variable_value_labels == bundled_meta.variable_value_labels
    assert fresh_meta.missing_ranges == bundled_meta.missing_ranges
    # the simulator's record beside the waves: the reports open with a simulated-data banner and its seed
    record = json.loads((RAW_DIR / "simulated.json").read_text(encoding="utf-8"))
    assert (tmp_path / "simulated.json").read_bytes() == (RAW_DIR / "simulated.json").read_bytes()
    assert record["seed"] == 20261127 and record["generator"] == "alliancegov.simulate"
    assert record["truth_sha256"] == hashlib.sha256(TRUTH_FILE.read_bytes()).hexdigest()

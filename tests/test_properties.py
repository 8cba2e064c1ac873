"""Property-based tests (hypothesis) of label matching and row accounting."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliancegov.clean.quality import RULES, QualitySettings
from alliancegov.clean.stage import clean_wave
from alliancegov.codebook.labels import normalise_label
from alliancegov.ingest.answers import convert_column

REGIONS = ["Grand Casablanca", "Meknès-Tafilalet", "Rabat-Salé-Kénitra", "Tanger-Tétouan", "Greater Casablanca"]
CANONICAL = ["grand_casablanca", "meknes_tafilalet", "rabat_sale", "tanger_tetouan", "grand_casablanca"]


def respell(label: str, draw) -> str:
    """The same label as a respondent or a tool might spell it: case, accents, spaces."""
    text = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in label)
    if draw(st.booleans()):
        text = normalise_label(text)  # accents dropped
    return " " * draw(st.integers(0, 3)) + text + "\u00a0" * draw(st.integers(0, 2))


@given(st.data())
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_labels_match_whatever_the_spelling(codebook, data):
    picks = data.draw(st.lists(st.integers(0, len(REGIONS) - 1), min_size=1, max_size=8))
    cells = pd.Series([respell(REGIONS[i], data.draw) for i in picks], dtype=object)
    converted, failures = convert_column(cells, "region", codebook)
    assert failures == []
    assert converted.tolist() == [CANONICAL[i] for i in picks]


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12))
@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_unknown_labels_are_reported_never_guessed(codebook, text):
    known = {normalise_label(x) for x in [*REGIONS, *CANONICAL, "1", "2", "3", "4", "97", "98", "99",
                                          "Non applicable", "Refus", "Ne sait pas", "Not applicable",
                                          "Refused", "Don't know", "rabat-sale-kenitra", "tangier-tetouan",
                                          "not_applicable", "refused", "dont_know"]}
    converted, failures = convert_column(pd.Series([text], dtype=object), "region", codebook)
    if not text.strip():
        assert failures == [] and converted.isna().all()
    elif normalise_label(text) in known or (text.strip().replace(".", "", 1).isdigit()):
        assert failures == [] or converted.isna().all()
    else:
        assert failures == [(0, text)] and converted.isna().all()


@given(n=st.integers(3, 40), seed=st.integers(0, 10_000), rules=st.permutations(RULES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_row_is_analysed_or_excluded_once(codebook, n, seed, rules):
    rng = np.random.default_rng(seed)
    likert = codebook.of_type("likert")
    frame = pd.DataFrame({
        "wave": "w", "source_row": np.arange(2, n + 2),
        "firm_key": rng.choice([f"f{i}" for i in range(n)], n).astype(str),
        "unknown_values": rng.choice(["", "", "", "sector='x'"], n).astype(str),
        "submission_id": rng.choice([f"s{i}" for i in range(n)], n).astype(str),
        "submission_time": pd.Series([None] * n, dtype="str"),
        "consent": rng.choice(["yes", "yes", "no"], n).astype(str),
        "interview_duration_min": rng.uniform(1, 60, n),
        **{item: rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 99.0], n) for item in likert},
    })
    count = len(rules) if seed % 2 else seed % len(rules)
    result = clean_wave(frame, codebook, QualitySettings(exclusion_rules=tuple(rules[:count])), survey_year=2025)
    assert len(result.analysed) + len(result.exclusions) == n
    assert set(result.analysed["source_row"]).isdisjoint(result.exclusions["source_row"])
    steps = result.flow.groupby("step")["n"].sum()
    assert steps["received"] == steps["analysed"] + steps.get("excluded", 0) == n
    assert set(result.exclusions["rule"]) <= set(rules[:count])

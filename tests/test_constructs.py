import numpy as np
import pandas as pd
import pytest

from alliancegov.constructs import build_analysis, cronbach_alpha, reverse_code, score_scales


def test_reverse_coding_uses_min_plus_max(codebook):
    frame = pd.DataFrame({"as1": [1.0, 5.0], "as4": [1.0, np.nan], "tr3": [2.0, 4.0]})
    recoded = reverse_code(frame, codebook)
    assert recoded["as1"].tolist() == [1.0, 5.0]          # not reversed
    assert recoded["as4"].tolist()[0] == 5.0 and np.isnan(recoded["as4"].iloc[1])
    assert recoded["tr3"].tolist() == [4.0, 2.0]


def test_scale_score_needs_min_items(codebook):
    frame = pd.DataFrame({"tr1": [4.0, 4.0, np.nan], "tr2": [2.0, np.nan, np.nan], "tr3": [3.0, np.nan, 5.0]})
    scores = score_scales(frame.reindex(columns=codebook.variables["name"]), codebook)
    assert scores["trust"].iloc[0] == pytest.approx(3.0)
    assert scores["trust"].iloc[1:].isna().all()          # min_items = 2


def test_cronbach_alpha_matches_the_textbook_formula():
    # Items with known covariance: alpha = k/(k-1) (1 - sum var_i / var_total), computed by hand.
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3], "c": [1, 3, 3, 4, 5, 2], })
    k = 3
    variances = items.var(ddof=1).sum()
    total = items.sum(axis=1).var(ddof=1)
    alpha, n = cronbach_alpha(items)
    assert n == 6
    assert alpha == pytest.approx(k / (k - 1) * (1 - variances / total), abs=1e-12)
    with_gap = items.astype(float)
    with_gap.iloc[0, 0] = np.nan
    assert cronbach_alpha(with_gap) == pytest.approx(cronbach_alpha(items.iloc[1:]), abs=1e-12)   # listwise


def test_simulated_scores_recover_the_latent_constructs(codebook, small_waves):
    pooled = pd.concat(small_waves, ignore_index=True)
    items = pooled[codebook.variables["name"][codebook.variables["type"] == "likert"].tolist()
                   + ["wave", "sector", "governance_form"]]
    analysis, reliability = build_analysis(items, codebook)
    assert np.corrcoef(analysis["asset_specificity"], pooled["latent_asset_specificity"])[0, 1] > 0.8
    pooled_alpha = reliability.set_index(["scale", "wave"])["alpha"]
    assert pooled_alpha["asset_specificity", "all"] > 0.7
    assert set(reliability["wave"]) == {"w2024", "w2025", "w2026", "all"}

"""Construct scores and their reliability.

Reverse-coded items are recoded as (min + max) − x after missing codes became missing; a scale
score is the mean of the answered items when at least the scale's ``min_items`` are answered
(else missing); Cronbach's alpha uses listwise-complete responses.
"""

from __future__ import annotations

import pandas as pd

from alliancegov.codebook import Codebook


def reverse_code(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """A copy of ``frame`` with every reverse-coded item recoded as (min + max) − x."""
    out = frame.copy()
    for row in codebook.variables[codebook.variables["reverse"]].itertuples():
        if row.name in out:
            out[row.name] = float(row.min) + float(row.max) - out[row.name]
    return out


def score_scales(recoded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Scale scores, one column per scale in ``scales.csv``; shape (n, n_scales), item units."""
    scores = {}
    for scale in codebook.scales.itertuples():
        items = recoded[codebook.items(scale.scale)["name"].tolist()]
        answered = items.notna().sum(axis=1)
        scores[scale.scale] = items.mean(axis=1).where(answered >= scale.min_items)
    return pd.DataFrame(scores, index=recoded.index)


def cronbach_alpha(items: pd.DataFrame) -> tuple[float, int]:
    """Cronbach's alpha of the listwise-complete rows, and that number of rows.

    alpha = k / (k − 1) · (1 − Σ var(item) / var(total)), sample variances (ddof = 1).
    """
    complete = items.dropna().to_numpy(float)
    n, k = complete.shape
    if n < 2 or k < 2:
        return float("nan"), n
    item_variances = complete.var(axis=0, ddof=1).sum()
    total_variance = complete.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_variances / total_variance)), n


def reliability_table(recoded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Alpha per scale, per wave and pooled (wave ``all``): ``scale, wave, n_items, n_complete, alpha``."""
    rows = []
    groups = [*recoded.groupby("wave", sort=True), ("all", recoded)]
    for scale in codebook.scales["scale"]:
        names = codebook.items(scale)["name"].tolist()
        for wave, part in groups:
            alpha, n = cronbach_alpha(part[names])
            rows.append((scale, wave, len(names), n, alpha))
    return pd.DataFrame(rows, columns=["scale", "wave", "n_items", "n_complete", "alpha"])


def build_analysis(pooled: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The analysis frame (pooled answers, items recoded, scale scores added) and reliability."""
    recoded = reverse_code(pooled, codebook)
    scores = score_scales(recoded, codebook)
    analysis = pd.concat([recoded, scores], axis=1)
    return analysis, reliability_table(recoded, codebook)


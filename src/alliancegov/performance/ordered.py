"""Ordered logits of the ordinal performance outcomes, with their average marginal effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import readable_term, tidy_coefficients


def ordered_outcome_tables(data: pd.DataFrame, outcome: str, formula: str, scale: list[str],
                           level: float = 0.95, cluster: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ordered logit of an ordinal answer (``scale``: its answers in order) on ``formula``:
    coefficients with odds ratios and cut points, and AMEs on each category's probability.

    Parameters
    ----------
    data : DataFrame
        One row per firm; rows missing the outcome or a regressor are left out.
    outcome : str
        The ordinal answer's column.
    formula : str
        The right-hand side (patsy); the intercept is dropped, the cut points play it.
    scale : list of str
        The answers in order; those nobody in the sample gave are left out.
    level : float
        Confidence level.
    cluster : str, optional
        The column of cluster codes (the firm, which repeats across waves): cluster-robust
        standard errors (Stata ``ologit, vce(cluster)``); model-based ones without it.

    Returns
    -------
    coefficients : DataFrame
        ``outcome`` then :func:`~alliancegov.stats.ordinal.tidy_ordered`'s columns: slopes in
        log-odds with ``odds_ratio, or_conf_low, or_conf_high``, then cut points named "a|b".
    ame : DataFrame
        ``outcome, category``, then ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``: average marginal effects on the probability of each category (probability
        units, 0–1), delta-method SEs. A factor level's effect is the average change from the
        reference level to it, the factor's other dummies at 0 (Stata's ``i.`` margins). Both
        tables end with a ``note`` saying what their standard errors, tests and intervals are.

    Raises
    ------
    ValueError
        If a row used has no ``cluster`` code.
    """
    from alliancegov.expressions import design_matrix
    from alliancegov.stats.ordinal import fit_ordered_logit, ordered_average_marginal_effects, tidy_ordered

    rows = data[data[outcome].notna()]
    X = design_matrix(formula, rows, source=f"ordered logit of {outcome}", NA_action="drop")
    X = X.drop(columns="Intercept")   # the cut points play the intercept
    names = [readable_term(c) for c in X.columns]
    X.columns = names
    present = [s for s in scale if s in set(rows.loc[X.index, outcome])]
    codes = pd.Categorical(rows.loc[X.index, outcome], categories=present).codes
    groups = None
    if cluster:
        groups = rows.loc[X.index, cluster]
        if groups.isna().any():
            raise ValueError(f"ordered logit of {outcome}: {int(groups.isna().sum())} rows have no {cluster} "
                             "(performance.cluster), so their firms cannot be clustered")
        groups = pd.factorize(groups)[0]
    fit = fit_ordered_logit(X, codes, groups=groups)
    ames = ordered_average_marginal_effects(X, fit, [i for i, n in enumerate(names) if "[" not in n],
                                            factor_columns(names))
    ame = tidy_coefficients(ames["variable"], ames["estimate"], ames["std_error"], level=level)
    ame.insert(0, "category", np.asarray(present, dtype=object)[ames["outcome"].to_numpy(int)])
    coefficients = tidy_ordered(fit, level=level, outcome_labels=present)
    se = (f"standard errors clustered by {cluster} ({len(set(groups))} clusters, × G/(G−1) as Stata)" if cluster
          else "model-based standard errors (inverse information)")
    notes = (f"Ordered logit (cut points in place of the intercept); {se}; z statistics, normal p-values and "
             f"{level:.0%} Wald intervals",
             f"Average marginal effects on each category's probability (0–1), delta method from the ordered "
             f"logit's {se}; a factor level against the reference, the factor's other levels at 0 (Stata i. "
             f"margins)")
    for table, note in zip((coefficients, ame), notes):
        table.insert(0, "outcome", outcome)
        table["note"] = note
    return coefficients, ame


def factor_columns(names: list[str]) -> dict[str, list[int]]:
    """The dummy columns of each factor, by the factor's name, as the average marginal effects
    take them; an interaction column (``a[x]:b[y]``) stands alone.

    Parameters
    ----------
    names : list of str
        The design's column names (:func:`~alliancegov.stats.tidy.readable_term`'s ``factor[level]``).

    Returns
    -------
    dict of str to list of int
        Factor name -> its dummies' column indices; a one-dummy factor or an interaction column
        under the column's own name.
    """
    factors: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if "[" in name:
            factors.setdefault(name if ":" in name else name.split("[")[0], []).append(i)
    # a one-dummy factor's effect is named as its column (``sector[textile]``), as in every table
    return {names[columns[0]] if len(columns) == 1 else factor: columns for factor, columns in factors.items()}

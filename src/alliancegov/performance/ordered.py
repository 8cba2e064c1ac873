"""Ordered logits of the ordinal performance outcomes, with their average marginal effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import readable_term, tidy_coefficients


def ordered_outcome_tables(data: pd.DataFrame, outcome: str, formula: str, scale: list[str],
                           level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
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

    Returns
    -------
    coefficients : DataFrame
        ``outcome`` then :func:`~alliancegov.stats.ordinal.tidy_ordered`'s columns: slopes in
        log-odds with ``odds_ratio, or_conf_low, or_conf_high``, then cut points named "a|b".
    ame : DataFrame
        ``outcome, category``, then ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``: average marginal effects on the probability of each category (probability
        units, 0–1), delta-method SEs. A dummy's effect is the average change of its value from
        0 to 1 with every other column as observed, including the other dummies of its factor
        (Stata's ``i.`` margins set those to 0: the two agree for a two-level factor).
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
    fit = fit_ordered_logit(X, codes)
    dummies = [i for i, n in enumerate(names) if "[" in n]
    ames = ordered_average_marginal_effects(X, fit, [i for i in range(len(names)) if i not in dummies],
                                            {names[i]: [i] for i in dummies})
    ame = tidy_coefficients(ames["variable"], ames["estimate"], ames["std_error"], level=level)
    ame.insert(0, "category", np.asarray(present, dtype=object)[ames["outcome"].to_numpy(int)])
    coefficients = tidy_ordered(fit, level=level, outcome_labels=present)
    for table in (coefficients, ame):
        table.insert(0, "outcome", outcome)
    return coefficients, ame

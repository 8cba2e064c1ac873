"""The correlation table every paper opens with, and the variance inflation of the models' regressors.

The correlation table is tidy and long: one row per cell of the lower triangle and of the
diagonal. A diagonal row (``variable_a == variable_b``) holds the variable's N, mean, SD and, for
a scale, its reliability; an off-diagonal row holds Pearson's r with a firm-clustered test
(:func:`alliancegov.stats.correlation.clustered_correlation`) and, with a marker variable, the
Lindell & Whitney (2001) correction r_A = (r - r_M) / (1 - r_M) tested the same way (r_M taken as
known, as they do).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from alliancegov.stats.correlation import clustered_correlation
from alliancegov.stats.variance_inflation import variance_inflation

CORRELATION_COLUMNS = ["variable_a", "variable_b", "n", "n_clusters", "mean", "sd", "reliability",
                       "reliability_type", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
                       "conf_high", "marker_adjusted", "marker_p_value"]
VIF_COLUMNS = ["model", "term", "df", "n", "gvif", "gvif_root", "criterion", "threshold", "above_threshold",
               "warning"]
_FACTOR_TERM = re.compile(r"^C\((\w+)(?:,.*)?\)$")


def correlation_rows(frame: pd.DataFrame, variables: list[str], *, cluster: str | None,
                     reliability: Mapping[str, tuple[float, str]] | None = None, missing: str = "pairwise",
                     marker_correlation: float | None = None, marker: str | None = None,
                     level: float = 0.95) -> pd.DataFrame:
    """Means, SDs, reliabilities and firm-clustered correlations of ``variables``, tidy and long.

    Parameters
    ----------
    frame : DataFrame
        One row per response; ``variables`` numeric, ``cluster`` a column.
    variables : list of str
        Rows and columns of the table, in order.
    cluster : str or None
        The column of cluster labels (rows with a missing label are left out); None for
        heteroskedasticity-robust inference with each row its own cluster.
    reliability : mapping of str to (float, str), optional
        Variable -> (value, what it is: ``alpha``, ``composite_reliability (implied)``, ...), shown
        on the diagonal.
    missing : {"pairwise", "listwise"}, default="pairwise"
        Each statistic on the rows complete on its variables, or every statistic on the rows
        complete on all of them.
    marker_correlation : float, optional
        r_M of the Lindell & Whitney correction; with it ``marker_adjusted`` and ``marker_p_value``
        are filled for the pairs not involving ``marker``.
    marker : str, optional
        The marker variable (its own pairs are not corrected).
    level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Columns ``CORRELATION_COLUMNS``; for each variable in order, its diagonal row, then its
        correlations with the variables before it (``variable_b``). ``estimate`` is r,
        ``std_error``/``statistic``/``df``/``p_value`` the cluster-robust t test (df = G - 1),
        ``conf_low``/``conf_high`` the Fisher-z interval; ``marker_adjusted`` is r_A and
        ``marker_p_value`` its clustered test with r_M taken as known.

    Raises
    ------
    ValueError
        If a variable is not numeric.
    """
    from scipy import stats

    data = frame[list(dict.fromkeys([*variables, *([cluster] if cluster else [])]))].copy()
    for variable in variables:
        if not pd.api.types.is_numeric_dtype(data[variable]):
            raise ValueError(f"correlation variable {variable!r} is not numeric")
        data[variable] = data[variable].astype(float)
    if cluster:
        data = data[data[cluster].notna()]
    if missing == "listwise":
        data = data.dropna(subset=variables)
    clusters = data[cluster].to_numpy(dtype=object) if cluster else None
    reliability = reliability or {}
    rows = []
    for i, a in enumerate(variables):
        known = data[a].notna()
        value, kind = reliability.get(a, (np.nan, ""))
        rows.append({"variable_a": a, "variable_b": a, "n": int(known.sum()),
                     "n_clusters": int(data.loc[known, cluster].nunique()) if cluster else int(known.sum()),
                     "mean": data[a].mean(), "sd": data[a].std(), "reliability": value, "reliability_type": kind})
        for b in variables[:i]:
            test = clustered_correlation(data[a], data[b], clusters, level=level)
            row = {"variable_a": a, "variable_b": b, **test.to_dict()}
            row["n"], row["n_clusters"] = int(test["n"]), int(test["n_clusters"])
            if marker_correlation is not None and marker not in (a, b):
                adjusted = (test["estimate"] - marker_correlation) / (1 - marker_correlation)
                statistic = adjusted / (test["std_error"] / (1 - marker_correlation))
                row.update(marker_adjusted=adjusted, marker_p_value=2 * stats.t.sf(abs(statistic), test["df"]))
            rows.append(row)
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


def readable_term(term: str) -> str:
    """A patsy term name as a reader knows it: ``C(sector, Treatment('services'))`` → ``sector``.

    Parameters
    ----------
    term : str
        A term of a patsy design (``design_info.term_names``).

    Returns
    -------
    str
        The variable of a one-factor ``C(...)`` term, each factor of an interaction the same way
        (joined by ``:``); any other term unchanged.
    """
    return ":".join(_FACTOR_TERM.sub(r"\1", part) for part in term.split(":"))


def vif_table(frame: pd.DataFrame, formulas: Mapping[str, str], *, threshold: float,
              derived: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Variance inflation of every term of each model's right-hand side (GVIF for factors).

    Parameters
    ----------
    frame : DataFrame
        The analysis frame.
    formulas : mapping of str to str
        Model name (``choice``, ``performance``) -> its patsy right-hand side, built through the
        project's checked grammar (:func:`alliancegov.expressions.design_matrix`).
    threshold : float
        A term whose ``criterion`` exceeds it is flagged, with a ``warning`` and a log line.
    derived : mapping of str to str, optional
        Derived variables (name -> expression) computed first, as the performance stage does.

    Returns
    -------
    DataFrame
        Columns ``VIF_COLUMNS``: one row per model and term, ``n`` the complete rows used,
        ``gvif``, ``gvif_root`` and ``criterion`` as in
        :func:`alliancegov.stats.variance_inflation.variance_inflation`, ``above_threshold`` and a
        ``warning`` text when it is; a model that cannot be built gets one row with the reason in
        ``warning``.
    """
    from alliancegov.expressions import ExpressionError, design_matrix, evaluate

    data = frame.copy()
    for name, expression in (derived or {}).items():
        if name not in data:
            try:
                data[name] = pd.Series(evaluate(expression, data, source=f"performance.derived.{name}"),
                                       index=data.index, dtype=float).replace([np.inf, -np.inf], np.nan)
            except (ExpressionError, KeyError, ValueError, TypeError):
                continue
    log = logging.getLogger("alliancegov")
    parts = []
    for model, formula in formulas.items():
        try:
            design = design_matrix(formula, data, source=f"{model}.formula")
        except Exception as error:          # patsy and the grammar raise several types; all mean "not built"
            parts.append(pd.DataFrame([{"model": model, "warning": f"not computed: {error}".splitlines()[0]}],
                                      columns=VIF_COLUMNS))
            continue
        slices = design.design_info.term_name_slices
        terms = {readable_term(term): list(design.columns[where]) for term, where in slices.items()
                 if term != "Intercept"}
        table = variance_inflation(design, terms).assign(model=model, n=len(design), threshold=threshold)
        table["above_threshold"] = table["criterion"] > threshold
        table["warning"] = np.where(table["above_threshold"],
                                    [f"VIF above {threshold:g}: collinear regressors" for _ in range(len(table))], "")
        for row in table[table["above_threshold"]].itertuples():
            log.warning("VIF of %s in the %s model is %.2f, above %g", row.term, model, row.criterion, threshold)
        parts.append(table[VIF_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=VIF_COLUMNS)

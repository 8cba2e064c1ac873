"""Confirmatory factor analysis of the multi-item scales, their validity, and measurement invariance.

One factor per scale, factors correlated, each identified by its first item (loading 1), fitted by
normal-theory ML on the listwise-complete responses (:func:`alliancegov.stats.cfa.fitting.fit_cfa`, held
to lavaan). Responses of the same firm in several waves are not independent: with
``repeated_firms: pooled`` every response enters and the χ² test and standard errors are
anticonservative (point estimates stay consistent); with ``latest`` each firm's latest response
alone enters (independent rows, fewer of them).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.constructs.reliability import cronbach_alpha
from alliancegov.stats.cfa.fitting import fit_cfa
from alliancegov.stats.cfa.result import CFAResult
from alliancegov.stats.invariance import invariance_table
from alliancegov.stats.validity import (
    HTMT_METHODS,
    cross_loadings,
    fornell_larcker,
    htmt,
    listwise_correlation,
    loading_flags,
    reliability,
)

CFA_COLUMNS = ["part", "factor", "item", "measure", "estimate", "std_error", "statistic", "p_value", "conf_low",
               "conf_high", "std_all", "note"]
FIT_MEASURES = ("n_obs", "n_dropped", "npar", "chisq", "df", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high",
                "srmr", "aic", "bic")
VALIDITY_COLUMNS = ["measure", "scale", "other_scale", "item", "value", "statistic", "p_value", "threshold", "flagged",
                    "method"]
INVARIANCE_COLUMNS = ["grouping", "scale", "model", "n_obs", "n_groups", "npar", "chisq", "df", "p_value", "cfi",
                      "rmsea", "srmr", "delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea", "delta_srmr",
                      "held", "note"]
ALL_SCALES = "all"
RELIABILITY_METHODS = {"implied": "composite reliability, model-implied variance (Jöreskog 1971; Raykov 1997)",
                       "observed": "composite reliability, observed variance (semTools compRelSEM)"}
REPEATED_NOTES = {
    "pooled": ("every response pooled ({n} from {firms} firms): responses of one firm are not independent, so "
               "χ² and the standard errors are anticonservative"),
    "latest": "each firm's latest response only ({n} from {firms} firms): rows independent",
}


def cfa_sample(frame: pd.DataFrame, cluster: str, repeated_firms: str) -> pd.DataFrame:
    """The responses the factor analyses use.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame, with ``cluster`` and, for ``latest``, ``survey_year`` or ``wave``.
    cluster : str
        The firm key.
    repeated_firms : {"pooled", "latest"}
        Every response, or each firm's latest one (rows without a firm key kept as they are).

    Returns
    -------
    DataFrame
        A subset of ``frame``'s rows, in its order.
    """
    if repeated_firms == "pooled" or cluster not in frame:
        return frame
    order = "survey_year" if "survey_year" in frame else "wave"
    known = frame[frame[cluster].notna()]
    latest = known.sort_values(order, kind="stable").drop_duplicates(cluster, keep="last")
    keep = frame[cluster].isna() | frame.index.isin(latest.index)
    return frame[keep]


def fit_quietly(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], **options) -> tuple[CFAResult, list[str]]:
    """:func:`alliancegov.stats.cfa.fitting.fit_cfa` with its warnings caught and returned as text.

    Parameters
    ----------
    data : DataFrame
        As for ``fit_cfa``.
    factors : mapping of str to sequence of str
        As for ``fit_cfa``.
    **options
        Passed to ``fit_cfa``.

    Returns
    -------
    result : CFAResult
    messages : list of str
        The warnings (non-convergence, Heywood cases, non-identification), each once.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit_cfa(data, factors, **options)
    return result, list(dict.fromkeys(str(w.message) for w in caught))


def cfa_table(result: CFAResult, messages: Sequence[str], repeated_note: str) -> pd.DataFrame:
    """Loadings, factor correlations and fit of a single-group CFA, tidy.

    Parameters
    ----------
    result : CFAResult
        The fit.
    messages : sequence of str
        Its warnings, written in the note of the ``chisq`` row.
    repeated_note : str
        How repeated firms were handled, in the same note.

    Returns
    -------
    DataFrame
        Columns ``CFA_COLUMNS``. ``part`` ``loading`` (unstandardised estimate, its SE, z test and
        Wald CI, and ``std_all``; the marker item's loading is fixed to 1, no SE), then
        ``factor_correlation`` (covariance with its test; ``std_all`` the correlation), then
        ``fit``: one row per measure of ``FIT_MEASURES`` in ``estimate`` (the ``chisq`` row with its
        p-value; RMSEA's 90 % interval as ``rmsea_ci_low``/``rmsea_ci_high``).
    """
    params = result.params
    columns = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "std_all"]
    loadings = params[params["op"] == "=~"]
    covariances = params[(params["op"] == "~~") & (params["lhs"] != params["rhs"])
                         & params["lhs"].isin(result.factors)]
    parts = [
        loadings[["lhs", "rhs", *columns]].rename(columns={"lhs": "factor", "rhs": "item"})
        .assign(part="loading", measure="loading",
                note=np.where(loadings["std_error"].isna(), "fixed to 1 (marker item)", "")),
        covariances[["lhs", "rhs", *columns]].rename(columns={"lhs": "factor", "rhs": "item"})
        .assign(part="factor_correlation", measure="covariance", note=""),
    ]
    fit = result.fit
    note = "; ".join([repeated_note, "listwise deletion", *messages])
    parts.append(pd.DataFrame([{"part": "fit", "measure": measure, "estimate": float(fit[measure]),
                                "p_value": float(fit["p_value"]) if measure == "chisq" else np.nan,
                                "note": note if measure == "chisq" else ""} for measure in FIT_MEASURES]))
    return pd.concat(parts, ignore_index=True).reindex(columns=CFA_COLUMNS)


def validity_table(result: CFAResult, data: pd.DataFrame, factors: Mapping[str, Sequence[str]], *,
                   composite: str, htmt_form: str, htmt_threshold: float, loading_threshold: float,
                   reliability_threshold: float, ave_threshold: float, cross_loading_alpha: float) -> pd.DataFrame:
    """Reliability, convergent and discriminant validity of each scale, and the items to look at.

    Parameters
    ----------
    result : CFAResult
        The single-group CFA of ``factors``.
    data : DataFrame
        The responses it was fitted to (alpha is computed per scale, listwise within the scale).
    factors : mapping of str to sequence of str
        Scale -> items.
    composite : {"implied", "observed"}
        Which composite reliability (see ``RELIABILITY_METHODS``).
    htmt_form : {"htmt", "htmt2"}
        Which HTMT (``alliancegov.stats.validity.HTMT_METHODS``), from the listwise item correlations.
    htmt_threshold, loading_threshold, reliability_threshold, ave_threshold : float
        The flags' cuts.
    cross_loading_alpha : float
        Family-wise level of the modification-index tests: an absent loading is flagged when its
        p-value is below ``cross_loading_alpha`` / (number of absent loadings) (Bonferroni).

    Returns
    -------
    DataFrame
        Columns ``VALIDITY_COLUMNS``, one row per statistic: ``alpha``, ``composite_reliability``,
        ``ave`` per scale (flagged below their thresholds); ``fornell_larcker`` per pair (value
        |r| of the factors, threshold the smaller √AVE, flagged when not below it); ``htmt`` per
        pair (flagged above ``htmt_threshold``); ``std_loading`` per item (flagged below
        ``loading_threshold``); ``cross_loading`` for each absent loading that is flagged
        (``value`` the standardised expected change, ``statistic`` the modification index).
        ``method`` names the form of each statistic.
    """
    rows = []
    shares = reliability(result).set_index("factor")
    for scale, items in factors.items():
        alpha, n = cronbach_alpha(data[list(items)])
        for measure, value, threshold, method in (
                ("alpha", alpha, reliability_threshold, f"Cronbach's alpha, listwise within the scale (n = {n})"),
                ("composite_reliability", shares.at[scale, f"omega_{composite}"], reliability_threshold,
                 RELIABILITY_METHODS[composite]),
                ("ave", shares.at[scale, "ave"], ave_threshold,
                 "average variance extracted: mean squared standardised loading (Fornell & Larcker 1981)")):
            rows.append({"measure": measure, "scale": scale, "value": value, "threshold": threshold,
                         "flagged": bool(value < threshold), "method": method})
    for row in fornell_larcker(result).itertuples():
        threshold = min(row.sqrt_ave_a, row.sqrt_ave_b)
        rows.append({"measure": "fornell_larcker", "scale": row.factor_a, "other_scale": row.factor_b,
                     "value": abs(row.correlation), "threshold": threshold, "flagged": not row.discriminant,
                     "method": "|factor correlation| against the smaller √AVE (Fornell & Larcker 1981)"})
    correlation, _ = listwise_correlation(data, [item for items in factors.values() for item in items])
    for row in htmt(correlation, factors, method=htmt_form).itertuples():
        rows.append({"measure": "htmt", "scale": row.factor_a, "other_scale": row.factor_b, "value": row.value,
                     "threshold": htmt_threshold, "flagged": bool(row.value > htmt_threshold),
                     "method": HTMT_METHODS[htmt_form]})
    for row in loading_flags(result, loading_threshold).itertuples():
        rows.append({"measure": "std_loading", "scale": row.factor, "item": row.item, "value": row.std_all,
                     "threshold": loading_threshold, "flagged": bool(row.low_loading),
                     "method": "completely standardised loading (std.all)"})
    candidates = cross_loadings(result)
    if len(candidates):
        from scipy import stats

        level = cross_loading_alpha / len(candidates)
        critical = float(stats.chi2.isf(level, 1))
        for row in candidates[candidates["mi"] > critical].itertuples():
            rows.append({"measure": "cross_loading", "scale": row.lhs, "other_scale": _home(factors, row.rhs),
                         "item": row.rhs, "value": row.sepc_all, "statistic": row.mi, "p_value": row.p_value,
                         "threshold": critical, "flagged": True,
                         "method": (f"modification index of the absent loading (score test, χ²(1)); Bonferroni over "
                                    f"{len(candidates)} absent loadings at {cross_loading_alpha:g}; value: "
                                    "standardised expected loading")})
    return pd.DataFrame(rows, columns=VALIDITY_COLUMNS)


def _home(factors: Mapping[str, Sequence[str]], item: str) -> str:
    return next(scale for scale, items in factors.items() if item in items)


def held(row: pd.Series, delta_cfi: float, delta_rmsea: float) -> object:
    """Whether a step of invariance holds, by Chen's (2007) rule.

    The step fails when CFI falls by more than ``delta_cfi`` *and* RMSEA rises by more than
    ``delta_rmsea`` ("a change of -.010 in CFI, supplemented by a change of .015 in RMSEA": Chen
    2007; Cheung & Rensvold 2002 for ΔCFI). A missing ΔRMSEA (a saturated configural model has no
    RMSEA) leaves ΔCFI to decide. ΔRMSEA alone does not fail a step: in models with few degrees
    of freedom, as a three-item scale's, it jumps without a loss of fit.

    Parameters
    ----------
    row : Series
        A row of :func:`alliancegov.stats.invariance.compare_fits` (``delta_cfi``, ``delta_rmsea``).
    delta_cfi, delta_rmsea : float
        The cuts (.01 and .015).

    Returns
    -------
    bool or pandas.NA
        NA for the configural row (nothing to compare with).
    """
    if pd.isna(row["delta_cfi"]):
        return pd.NA
    rmsea_worse = pd.isna(row["delta_rmsea"]) or row["delta_rmsea"] > delta_rmsea
    return not bool(row["delta_cfi"] < -delta_cfi and rmsea_worse)


def invariance_rows(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], groupings: Sequence[str], *,
                    delta_cfi: float, delta_rmsea: float) -> pd.DataFrame:
    """Configural, metric and scalar invariance of all the scales together and of each alone.

    Parameters
    ----------
    data : DataFrame
        The responses (items and the grouping columns).
    factors : mapping of str to sequence of str
        Scale -> items.
    groupings : sequence of str
        Columns whose levels are the groups (``wave``, ``sector``).
    delta_cfi, delta_rmsea : float
        The cuts of :func:`held`.

    Returns
    -------
    DataFrame
        Columns ``INVARIANCE_COLUMNS``: per grouping, the three steps for ``scale`` ``all`` (the
        whole measurement model) then for each scale alone (a one-factor model; with three items
        its configural model is saturated; a two-item scale is not tested alone). ``held`` is
        :func:`held` for metric and scalar. A group with no more complete responses than items is
        left out (said in ``note``); a grouping that cannot be tested gets one row saying why.
    """
    rows = []
    for grouping in groupings:
        if grouping not in data:
            rows.append({"grouping": grouping, "note": f"not tested: no column {grouping!r}"})
            continue
        for scale, model in [(ALL_SCALES, dict(factors)), *((s, {s: list(i)}) for s, i in factors.items())]:
            items = [item for members in model.values() for item in members]
            if len(items) < 3:
                rows.append({"grouping": grouping, "scale": scale, "note": "not tested alone: fewer than three "
                             "items (a one-factor model is not identified)"})
                continue
            complete = data.dropna(subset=[*items, grouping])
            sizes = complete[grouping].astype(str).value_counts()
            kept = sizes[sizes > len(items)].index
            note = [f"groups left out (too few complete responses): {sorted(sizes.index.difference(kept))}"
                    ] if len(kept) < len(sizes) else []
            if len(kept) < 2:
                rows.append({"grouping": grouping, "scale": scale,
                             "note": "not tested: fewer than two groups with enough complete responses"})
                continue
            subset = complete[complete[grouping].astype(str).isin(kept)]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    table = invariance_table(subset, model, subset[grouping].astype(str).to_numpy())
                except (ValueError, np.linalg.LinAlgError) as error:
                    rows.append({"grouping": grouping, "scale": scale, "note": f"not tested: {error}"})
                    continue
            note += list(dict.fromkeys(str(w.message) for w in caught))
            table["held"] = [held(row, delta_cfi, delta_rmsea) for _, row in table.iterrows()]
            rows += [{**row, "grouping": grouping, "scale": scale, "n_obs": len(subset), "n_groups": len(kept),
                      "note": "; ".join(note)} for row in table.to_dict("records")]
    table = pd.DataFrame(rows, columns=INVARIANCE_COLUMNS)
    return table.astype({column: "Int64" for column in ("n_obs", "n_groups", "npar", "df", "delta_df")})


def scalar_invariance(invariance: pd.DataFrame) -> pd.DataFrame:
    """Per scale and grouping, whether scalar invariance holds (metric and scalar steps both held).

    Parameters
    ----------
    invariance : DataFrame
        :func:`invariance_rows`' table.

    Returns
    -------
    DataFrame
        Columns ``grouping, scale, held, delta_cfi, delta_rmsea`` (the larger loss of fit of the
        metric and scalar steps: the smaller ΔCFI, the larger ΔRMSEA); one row per tested scale
        (``all`` left out); ``held`` False when either step failed.
    """
    tested = invariance[(invariance["scale"] != ALL_SCALES) & invariance["model"].isin(["metric", "scalar"])]
    rows = []
    for (grouping, scale), steps in tested.groupby(["grouping", "scale"], sort=False):
        rows.append({"grouping": grouping, "scale": scale, "held": bool(steps["held"].astype(bool).all()),
                     "delta_cfi": steps["delta_cfi"].min(), "delta_rmsea": steps["delta_rmsea"].max()})
    return pd.DataFrame(rows, columns=["grouping", "scale", "held", "delta_cfi", "delta_rmsea"])

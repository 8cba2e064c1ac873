"""From a check's estimate and p-values to its verdict, and from the checks to the hypothesis'.

Verdicts: ``supported``, ``contradicted``, ``no effect`` (equivalence shown: the estimate lies
within the check's margin of the reference by two one-sided tests), ``inconclusive``.
"""

from __future__ import annotations

import numpy as np

VERDICTS = ("supported", "contradicted", "no effect", "inconclusive")
RULES = ("all", "any", "majority")
ADJUSTMENTS = {"fdr_bh": "Benjamini–Hochberg", "holm": "Holm", "none": "none"}


def check_verdict(estimate: float, p_value: float, expected: str, alpha: float, reference: float = 0.0,
                  p_equivalence: float = np.nan) -> str:
    """Verdict of one check from its estimate, p-values and expected sign against ``reference``.

    Parameters
    ----------
    estimate : float
        The check's estimate.
    p_value : float
        The p-value of its two-sided test (raw or adjusted; NaN when it could not be computed).
    expected : {"positive", "negative"}
        The expected direction: the estimate above or below ``reference``.
    alpha : float
        Significance level.
    reference : float
        The value the estimate's direction is judged against.
    p_equivalence : float, default NaN
        The p-value of its equivalence test (TOST), NaN without a margin.

    Returns
    -------
    str
        "no effect" when equivalence is shown at ``alpha`` (even if the estimate also differs
        significantly from the reference: an effect inside the margin is negligible by the
        register's own definition); else "supported" (significant at ``alpha`` in the expected
        direction), "contradicted" (significant in the opposite direction) or "inconclusive".
    """
    if np.isfinite(p_equivalence) and p_equivalence < alpha:
        return "no effect"
    if not np.isfinite(p_value) or p_value >= alpha:
        return "inconclusive"
    above = estimate > reference
    return "supported" if above == (expected == "positive") else "contradicted"


def hypothesis_verdict(verdicts: list[str], rule: str = "all") -> str:
    """Verdict of a hypothesis from its checks' verdicts under an aggregation rule.

    Parameters
    ----------
    verdicts : list of str
        The verdicts of its checks (:func:`check_verdict`).
    rule : {"all", "any", "majority"}
        How the checks combine. ``all``: contradicted if any check is; else no effect if any check
        shows no effect (a part of the claim is shown absent); else supported if every check is;
        else inconclusive. ``any``: supported if a check is and none is contradicted; contradicted
        if a check is and none is supported; no effect if every check shows no effect; else
        inconclusive. ``majority``: the verdict more than half of the checks share, else
        inconclusive. (The report words them in its language: ``report.text.HYPOTHESES_TEXT``.)

    Returns
    -------
    str
        One of :data:`VERDICTS`; "inconclusive" without any check.

    Raises
    ------
    ValueError
        If ``rule`` is unknown.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, not {rule!r}")
    if not verdicts:
        return "inconclusive"
    count = {verdict: verdicts.count(verdict) for verdict in VERDICTS}
    if rule == "majority":
        winners = [v for v in VERDICTS[:3] if count[v] > len(verdicts) / 2]
        return winners[0] if winners else "inconclusive"
    if count["no effect"] == len(verdicts):
        return "no effect"
    if rule == "all":
        if count["contradicted"]:
            return "contradicted"
        if count["no effect"]:
            return "no effect"
        return "supported" if count["supported"] == len(verdicts) else "inconclusive"
    if count["supported"] and not count["contradicted"]:
        return "supported"
    return "contradicted" if count["contradicted"] and not count["supported"] else "inconclusive"


def adjust_p_values(p_values, method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values over the finite ones (statsmodels ``multipletests``).

    Parameters
    ----------
    p_values : array-like of shape (m,)
        Raw p-values; NaN ones (checks not computed) are left out of the family and stay NaN.
    method : {"fdr_bh", "holm", "none"}
        Benjamini–Hochberg (false discovery rate), Holm (family-wise error rate) or none.

    Returns
    -------
    ndarray of shape (m,)

    Raises
    ------
    ValueError
        If ``method`` is unknown.
    """
    from statsmodels.stats.multitest import multipletests

    if method not in ADJUSTMENTS:
        raise ValueError(f"multiplicity must be one of {tuple(ADJUSTMENTS)}, not {method!r}")
    p_values = np.asarray(p_values, float)
    adjusted = p_values.copy()
    finite = np.isfinite(p_values)
    if method != "none" and finite.any():
        adjusted[finite] = multipletests(p_values[finite], method=method)[1]
    return adjusted


def equivalence_p(result: dict, check: dict) -> float:
    """The TOST p-value of a check with an equivalence ``margin``, from its estimate and SE.

    Parameters
    ----------
    result : dict
        The check's ``estimate, std_error, reference`` and ``df`` (NaN for a normal reference).
    check : dict
        The check; its optional ``margin`` (> 0, in the estimate's units) around ``reference``.

    Returns
    -------
    float
        :func:`alliancegov.stats.cluster_tests.equivalence_test` with the check's own SE and
        reference distribution; NaN without a margin, or for a check without an SE (an exact test).
    """
    from alliancegov.stats.cluster_tests import equivalence_test

    if check.get("margin") is None:
        return np.nan
    df = result.get("df", np.nan)
    return equivalence_test(result.get("estimate", np.nan), result.get("std_error", np.nan),
                            result.get("reference", 0.0), float(check["margin"]),
                            df=float(df) if np.isfinite(df) else None)

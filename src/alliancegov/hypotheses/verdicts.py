"""From a check's estimate and p-value to its verdict, and from the checks to the hypothesis'.
"""

from __future__ import annotations

import numpy as np


def check_verdict(estimate: float, p_value: float, expected: str, alpha: float, reference: float = 0.0) -> str:
    """Verdict of one check from its estimate, p-value and expected sign against ``reference``.

    Parameters
    ----------
    estimate : float
        The check's estimate.
    p_value : float
        Its p-value (NaN when it could not be computed).
    expected : {"positive", "negative"}
        The expected direction: the estimate above or below ``reference``.
    alpha : float
        Significance level.
    reference : float
        The value the estimate's direction is judged against.

    Returns
    -------
    str
        "supported" (significant at ``alpha`` in the expected direction), "contradicted"
        (significant in the opposite direction) or "inconclusive" (not significant, or a
        p-value that is not finite).
    """
    if not np.isfinite(p_value) or p_value >= alpha:
        return "inconclusive"
    above = estimate > reference
    return "supported" if above == (expected == "positive") else "contradicted"


def hypothesis_verdict(verdicts: list[str]) -> str:
    """Verdict of a hypothesis from its checks' verdicts.

    Parameters
    ----------
    verdicts : list of str
        The verdicts of its checks (:func:`check_verdict`).

    Returns
    -------
    str
        "contradicted" when any check is, "supported" when there is at least one check and all
        are, else "inconclusive".
    """
    if "contradicted" in verdicts:
        return "contradicted"
    return "supported" if verdicts and all(v == "supported" for v in verdicts) else "inconclusive"

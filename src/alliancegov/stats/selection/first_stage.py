"""First-stage strength of the exclusion restrictions of a selection model after a multinomial logit:
the joint test that the variables in the choice model but not in the outcome equations are zero in
every MNL equation (likelihood ratio or Wald, the Wald one with any covariance, e.g. clustered).

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

__all__ = ["FirstStageTest", "excluded_indices", "first_stage_strength"]



class FirstStageTest(NamedTuple):
    """Chi-square test that the excluded instruments are jointly zero in the MNL.

    Unpacks as ``(statistic, df, p_value, test)``.

    Attributes
    ----------
    statistic : float
        The chi-square statistic.
    df : int
        Its degrees of freedom.
    p_value : float
        The upper tail of chi-square(df).
    test : str
        "LR" or "Wald".
    """

    statistic: float
    df: int
    p_value: float
    test: str


def excluded_indices(column_names: Sequence[str], excluded: Sequence[str], n_outcomes: int) -> np.ndarray:
    """Positions of the excluded variables' coefficients in the MNL parameter vector.

    The vector is stacked equation-major (``theta = params.T.ravel()`` for statsmodels' (k, J-1)
    ``params``; the order of ``MNLogitResults.cov_params()`` and of :mod:`alliancegov.stats.mnl`),
    so column ``c`` of equation ``j = 1 .. J-1`` is element ``(j-1) * k + c``.

    Parameters
    ----------
    column_names : sequence of str
        The k names of the MNL design columns.
    excluded : sequence of str
        Names of the variables present in the MNL but excluded from the outcome equation.
    n_outcomes : int
        J, the number of alternatives (J-1 equations are estimated).

    Returns
    -------
    ndarray of shape (len(excluded) * (J-1),), int64
        The positions, sorted.

    Raises
    ------
    ValueError
        If ``column_names`` repeats a name, ``excluded`` is empty, repeats a name or names one not
        among the columns, or ``n_outcomes`` is below 2.
    """
    names = list(column_names)
    if len(set(names)) != len(names):
        raise ValueError("column_names must be unique")
    missing = [name for name in excluded if name not in names]
    if missing:
        raise ValueError(f"excluded variables not among the MNL columns: {missing}")
    if len(set(excluded)) != len(list(excluded)) or len(list(excluded)) == 0:
        raise ValueError("excluded must list at least one variable, without repeats")
    if n_outcomes < 2:
        raise ValueError("n_outcomes must be at least 2")
    k = len(names)
    cols = [names.index(name) for name in excluded]
    return np.sort(np.array([(j - 1) * k + c for j in range(1, n_outcomes) for c in cols], dtype=np.int64))


def first_stage_strength(*, llf_full: float | None = None, llf_restricted: float | None = None,
                         df: int | None = None, params=None, cov=None, indices=None) -> FirstStageTest:
    """Joint test that the excluded instruments have zero coefficients in every MNL equation.

    Identification of the selection-corrected outcome equation beyond functional form rests on
    variables that shift the choice but not the outcome; this tests their joint relevance.
    Give EITHER the likelihood-ratio inputs (``llf_full``, ``llf_restricted``, ``df``) OR the Wald
    inputs (``params``, ``cov``, ``indices``), keywords only.

    Parameters
    ----------
    llf_full : float, optional
        LR: log-likelihood of the MNL with the instruments.
    llf_restricted : float, optional
        LR: log-likelihood of the MNL on the same sample, without them.
    df : int, optional
        LR: number of restrictions = number of instruments x (J - 1).
    params : array-like of shape (k, J-1) or ((J-1) k,), optional
        Wald: the statsmodels-shaped coefficient matrix, or the equation-major vector ``theta``.
    cov : array-like of shape ((J-1) k, (J-1) k), optional
        Wald: its covariance, equation-major (e.g. robust).
    indices : array-like of int, optional
        Wald: positions in ``theta`` (see :func:`excluded_indices`).

    Returns
    -------
    FirstStageTest
        ``(statistic, df, p_value, test)`` with a chi-square(df) upper-tail p-value.

    Raises
    ------
    ValueError
        If both or neither sets of inputs are given or one is incomplete, ``df`` is not a positive
        integer, the log-likelihoods are not finite or ``llf_full`` is below ``llf_restricted``
        (the models are not nested), or the Wald inputs do not fit together, are not finite at the
        tested positions or have a zero covariance there.

    Notes
    -----
    LR: statistic ``2 (llf_full - llf_restricted)`` (a slightly negative value from rounding is
    set to 0). Wald: statistic ``b' V^-1 b`` on the sub-vector; if ``V`` is singular a
    pseudo-inverse is used and ``df`` is its rank (as Stata's ``test`` drops dependent
    constraints).

    These are asymptotic chi-square tests; there are no Stock-Yogo style weak-instrument critical
    values for a MNL first stage.
    """
    from scipy import stats

    lr_given = any(v is not None for v in (llf_full, llf_restricted, df))
    wald_given = any(v is not None for v in (params, cov, indices))
    if lr_given == wald_given:
        raise ValueError("give either (llf_full, llf_restricted, df) for the LR test or (params, cov, indices) "
                         "for the Wald test")
    if lr_given:
        if llf_full is None or llf_restricted is None or df is None:
            raise ValueError("the LR test needs llf_full, llf_restricted and df")
        if isinstance(df, bool) or int(df) != df or df < 1:
            raise ValueError(f"df must be a positive integer; got {df!r}")
        if not (np.isfinite(llf_full) and np.isfinite(llf_restricted)):
            raise ValueError("log-likelihoods must be finite")
        statistic = 2.0 * (float(llf_full) - float(llf_restricted))
        if statistic < -1e-6 * max(1.0, abs(float(llf_full))):
            raise ValueError(
                f"llf_full ({llf_full}) is below llf_restricted ({llf_restricted}): the restricted model must be "
                "nested in the full one and fitted on the same observations"
            )
        statistic = max(statistic, 0.0)
        return FirstStageTest(statistic, int(df), float(stats.chi2.sf(statistic, int(df))), "LR")

    if params is None or cov is None or indices is None:
        raise ValueError("the Wald test needs params, cov and indices")
    b = np.asarray(params, dtype=float)
    theta = b.T.ravel() if b.ndim == 2 else b.ravel()
    V = np.asarray(cov, dtype=float)
    if V.shape != (theta.size, theta.size):
        raise ValueError(f"cov must be ({theta.size}, {theta.size}) to match params; got {V.shape}")
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError("indices must be a non-empty 1-D array of integer positions")
    if idx.min() < 0 or idx.max() >= theta.size or np.unique(idx).size != idx.size:
        raise ValueError(f"indices must be distinct positions in 0 .. {theta.size - 1}")
    sub_b, sub_V = theta[idx], V[np.ix_(idx, idx)]
    if not (np.all(np.isfinite(sub_b)) and np.all(np.isfinite(sub_V))):
        raise ValueError("params and cov must be finite at the tested positions")
    sub_V = (sub_V + sub_V.T) / 2.0
    rank = int(np.linalg.matrix_rank(sub_V))
    if rank == 0:
        raise ValueError("the covariance of the tested coefficients is zero")
    statistic = float(sub_b @ np.linalg.pinv(sub_V, hermitian=True) @ sub_b)
    return FirstStageTest(statistic, rank, float(stats.chi2.sf(statistic, rank)), "Wald")

"""Tests of the independence of irrelevant alternatives: Hausman-McFadden, Small-Hsiao and the
generalised (suest) Hausman test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.mnl_tests.common import (
    IIA_COLUMNS,
    NEGATIVE_HAUSMAN_NOTE,
    ChiSquareTest,
    _chi2_sf,
    _codes,
    _design,
    _fit_mnl,
    _recode,
    _theta,
    mnl_loglik,
)


def _base_for(codes: np.ndarray, J: int, omitted: int, rebase_to: int | None) -> int:
    if not 0 <= omitted < J:
        raise ValueError(f"omitted must be in 0..{J - 1}")
    if rebase_to is not None:
        if rebase_to == omitted or not 0 <= rebase_to < J:
            raise ValueError("rebase_to must be an outcome other than the omitted one")
        return int(rebase_to)
    if omitted != 0:
        return 0
    counts = np.bincount(codes, minlength=J).astype(float)
    counts[omitted] = -1
    return int(np.argmax(counts))  # the most frequent other outcome, lowest code on ties (as SPost)


def hausman_mcfadden(y, X, omitted: int, *, rebase_to: int | None = None) -> ChiSquareTest:
    """Hausman-McFadden (1984) IIA test of omitting outcome ``omitted`` (SPost ``mlogtest, hausman``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set.
    rebase_to : int, optional
        The outcome both models are based on (see Notes). Default: code 0, or, when ``omitted`` is
        0, the most frequent other outcome (lowest code on ties, as SPost).

    Returns
    -------
    ChiSquareTest
        ``(statistic, df, p_value)``; the p-value is NaN when the statistic is negative.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, or ``omitted`` or ``rebase_to`` is not a valid outcome.

    Notes
    -----
    Fits the MNL on all observations (efficient under IIA, ``b_f, V_f``) and on the
    observations not choosing ``omitted`` (consistent either way, ``b_r, V_r``), both with the same
    base, and compares the coefficients common to both: all ``k`` coefficients, intercept
    included, of the ``J-2`` equations of the outcomes other than the base and ``omitted`` (as
    Stata's ``hausman ., alleqs constant`` in SPost)::

        H = (b_r - b_f)' (V_r - V_f)^{-1} (b_r - b_f),   df = rank(V_r - V_f)

    ``df`` is ``(J-2) k`` unless ``V_r - V_f`` is singular (then a Moore-Penrose inverse is used,
    like Stata's generalised inverse). Covariances are the inverse Hessians (Stata's default).

    The base (code 0) cannot be omitted as such: the models are then re-based (both of them) on
    ``rebase_to``, by default the most frequent other outcome as SPost's ``base`` option does;
    the statistic does not depend on which re-base outcome is used. ``rebase_to`` also applies
    when a non-base outcome is omitted.

    ``V_r - V_f`` need not be positive definite in finite samples, so ``H`` can be negative. It is
    returned as computed, never clipped; its p-value is then ``nan`` (SPost prints ``---`` and
    notes that the model does not meet the asymptotic assumptions of the test; Hausman &
    McFadden take it as evidence for IIA).
    """
    X, _ = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("IIA tests need at least 3 outcomes")
    base = _base_for(codes, J, omitted, rebase_to)
    full_order = [base] + [j for j in range(J) if j != base]
    sub_order = [j for j in full_order if j != omitted]
    full = _fit_mnl(_recode(codes, full_order), X)
    keep = codes != omitted
    restricted = _fit_mnl(_recode(codes[keep], sub_order), X[keep])
    k = X.shape[1]
    # equations (0-based) of the common outcomes in each model
    full_eq = [full_order.index(j) - 1 for j in sub_order[1:]]
    sub_eq = list(range(len(sub_order) - 1))
    f_idx = np.array([e * k + c for e in full_eq for c in range(k)])
    r_idx = np.array([e * k + c for e in sub_eq for c in range(k)])
    difference = _theta(restricted)[r_idx] - _theta(full)[f_idx]
    V_diff = np.asarray(restricted.cov_params())[np.ix_(r_idx, r_idx)] - np.asarray(full.cov_params())[
        np.ix_(f_idx, f_idx)]
    V_diff = (V_diff + V_diff.T) / 2
    df = int(np.linalg.matrix_rank(V_diff, hermitian=True))
    if df == V_diff.shape[0]:
        statistic = float(difference @ np.linalg.solve(V_diff, difference))
    else:
        statistic = float(difference @ np.linalg.pinv(V_diff, hermitian=True) @ difference)
    p_value = _chi2_sf(statistic, df) if statistic >= 0 else math.nan
    return ChiSquareTest(statistic, df, p_value)


def _split(n: int, seed, split: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if split == "half":
        in_a = np.zeros(n, dtype=bool)
        in_a[rng.permutation(n)[: n // 2]] = True
        return in_a
    if split == "coin":
        return rng.random(n) < 0.5
    raise ValueError("split must be 'half' or 'coin'")


def small_hsiao(y, X, omitted: int, seed, *, split: str = "half") -> ChiSquareTest:
    """Small & Hsiao (1985) IIA test of omitting outcome ``omitted`` (SPost ``mlogtest, smhsiao``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set; may be the base (0), see Notes.
    seed : int or numpy Generator seed
        Seed of ``numpy.random.default_rng`` for the random split. Reproducible for a given
        ``seed``; use the same seed for every omitted outcome to share one split, as SPost does.
    split : {"half", "coin"}, default "half"
        How rows are split into halves A and B (step 1 below).

    Returns
    -------
    ChiSquareTest
        ``(statistic, df, p_value)``.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, ``omitted`` is not an outcome, ``split`` is unknown, or
        an outcome does not occur in both halves.

    Notes
    -----
    1. Split the sample at random into halves A and B (``seed`` for ``numpy.random.default_rng``;
       ``split="half"``: a random permutation, the first ``n // 2`` rows form A; ``split="coin"``:
       each row goes to A with probability 1/2, as SPost's ``round(uniform())``; Stata's random
       numbers are not reproduced). Every outcome must occur in both halves (else ``ValueError``).
    2. Fit the full MNL on A and on B; ``b_AB = b_A / sqrt(2) + (1 - 1/sqrt(2)) b_B``.
    3. On the rows of B not choosing ``omitted``, fit the MNL of the remaining ``J-1`` outcomes:
       ``LL_r``; evaluate the same restricted-choice-set likelihood at ``b_AB``: ``LL_AB``.
    4. ``SH = -2 (LL_AB - LL_r)``, ``df`` = number of coefficients of the restricted model,
       ``(J-2) k`` (SPost's corrected df, 2005), chi-square p-value. ``SH >= 0`` by construction.

    The restricted-choice-set probabilities do not depend on the base, so ``omitted`` may be the
    base (0) without re-basing.
    """
    X, _ = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("IIA tests need at least 3 outcomes")
    if not 0 <= omitted < J:
        raise ValueError(f"omitted must be in 0..{J - 1}")
    in_a = _split(codes.size, seed, split)
    halves = []
    for rows in (in_a, ~in_a):
        if np.unique(codes[rows]).size != J:
            raise ValueError("the random split left an outcome empty in one half-sample; try another seed")
        halves.append(np.asarray(_fit_mnl(codes[rows], X[rows]).params, dtype=float))
    w = 1 / math.sqrt(2)
    b_ab = np.zeros((X.shape[1], J))
    b_ab[:, 1:] = w * halves[0] + (1 - w) * halves[1]
    remaining = [j for j in range(J) if j != omitted]
    rows = ~in_a & (codes != omitted)
    sub_codes = _recode(codes[rows], remaining)
    restricted = _fit_mnl(sub_codes, X[rows])
    # restricted-choice-set likelihood at b_AB, coefficients relative to the first remaining outcome
    ll_ab = mnl_loglik(_relative_theta(b_ab[:, remaining]), sub_codes, X[rows])
    statistic = -2.0 * (ll_ab - restricted.llf)
    df = (J - 2) * X.shape[1]
    return ChiSquareTest(float(statistic), df, _chi2_sf(statistic, df))


def suest_hausman(y, X, omitted: int, *, groups=None, rebase_to: int | None = None, start=None) -> ChiSquareTest:
    """Generalised Hausman test of IIA with the two fits' joint covariance (Stata ``suest``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set.
    groups : array-like of shape (n,), optional
        Cluster labels (firms interviewed in several waves): the joint covariance sums each
        cluster's scores. Default: every row its own cluster (the robust suest).
    rebase_to : int, optional
        As in :func:`hausman_mcfadden`.
    start : array-like of shape (k, J-1), optional
        The full model's coefficients with code 0 as the base (the caller's own fit): both refits
        start there, re-based and cut to their outcomes, and take one or two Newton steps instead of
        five to eight. The maxima do not depend on the start (the log-likelihood is concave).

    Returns
    -------
    ChiSquareTest
        ``(statistic, df, p_value)``; the statistic is never negative.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, or ``omitted`` or ``rebase_to`` is not a valid outcome.

    Notes
    -----
    The same comparison as :func:`hausman_mcfadden`, ``d = b_r - b_f`` over the coefficients common
    to the full and the restricted fits, but ``Var(d) = V_rr + V_ff - V_rf - V_fr`` comes from the
    sandwich of both fits' stacked scores (Weesie 1999; Stata's ``suest``; Long & Freese 2014,
    §8.4), which is a covariance matrix and so positive semi-definite: the statistic cannot be
    negative, and it stays valid when the model-based covariances are not (clustered firms,
    misspecification). ``df`` is the rank of ``Var(d)``.
    """
    from alliancegov.stats.mnl import stacked_covariance

    X, _ = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("IIA tests need at least 3 outcomes")
    base = _base_for(codes, J, omitted, rebase_to)
    full_order = [base] + [j for j in range(J) if j != base]
    sub_order = [j for j in full_order if j != omitted]
    keep = codes != omitted
    full_codes, sub_codes = _recode(codes, full_order), _recode(codes[keep], sub_order)
    full_start = sub_start = None
    if start is not None:
        # every outcome's coefficients against outcome 0, then against the base of these fits
        against_zero = np.column_stack([np.zeros(X.shape[1]), np.asarray(start, dtype=float)])
        full_start = against_zero[:, full_order[1:]] - against_zero[:, [base]]
        sub_start = against_zero[:, sub_order[1:]] - against_zero[:, [base]]
    full, restricted = _fit_mnl(full_codes, X, start=full_start), _fit_mnl(sub_codes, X[keep], start=sub_start)
    labels = np.arange(codes.size) if groups is None else np.asarray(groups)
    V = stacked_covariance([(X, full_codes, full.params, labels),
                            (X[keep], sub_codes, restricted.params, labels[keep])], kind="cluster")
    k = X.shape[1]
    offset = (J - 1) * k
    f_idx = np.array([(full_order.index(j) - 1) * k + c for j in sub_order[1:] for c in range(k)])
    r_idx = offset + np.arange((len(sub_order) - 1) * k)
    difference = _theta(restricted) - _theta(full)[f_idx]
    V_diff = V[np.ix_(r_idx, r_idx)] + V[np.ix_(f_idx, f_idx)] - V[np.ix_(r_idx, f_idx)] - V[np.ix_(f_idx, r_idx)]
    V_diff = (V_diff + V_diff.T) / 2
    df = int(np.linalg.matrix_rank(V_diff, hermitian=True))
    statistic = max(0.0, float(difference @ np.linalg.pinv(V_diff, hermitian=True) @ difference))
    return ChiSquareTest(statistic, df, _chi2_sf(statistic, df))


def small_hsiao_splits(y, X, omitted: int, seed, n_splits: int, *, split: str = "half") -> pd.DataFrame:
    """The Small–Hsiao test over many random splits of the sample.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set.
    seed : int
        Split ``s`` uses the seed sequence ``(seed, s)``: the same splits on every run.
    n_splits : int
        How many splits.
    split : {"half", "coin"}, default "half"
        As in :func:`small_hsiao`.

    Returns
    -------
    DataFrame
        One row per split: ``split, statistic, df, p_value``; a split that leaves an outcome empty
        in one half has NaN values (it is counted, not dropped).

    Notes
    -----
    One split gives one draw of a test whose outcome depends on the split (Cheng & Long 2007):
    the distribution of the p-values over many splits, not one of them, is what a reader can
    rely on.
    """
    rows = []
    for number in range(n_splits):
        try:
            test = small_hsiao(y, X, omitted, np.random.SeedSequence([int(seed), number]), split=split)
        except ValueError:
            test = ChiSquareTest(math.nan, math.nan, math.nan)
        rows.append((number, test.statistic, test.df, test.p_value))
    return pd.DataFrame(rows, columns=["split", "statistic", "df", "p_value"])


def _relative_theta(B: np.ndarray) -> np.ndarray:
    """Equation-major ``theta`` of coefficients ``B`` (``k, m``) relative to its first column."""
    return (B[:, 1:] - B[:, [0]]).T.ravel()


def iia_tests(y, X, seed, *, include_base: bool = False, labels: Sequence | None = None,
              split: str = "half") -> pd.DataFrame:
    """Hausman-McFadden and Small-Hsiao IIA tests omitting each outcome in turn.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (0 = base), ``J >= 3``.
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    seed : int or numpy Generator seed
        One random half split shared by all Small-Hsiao tests (as SPost).
    include_base : bool, default False
        Omits every non-base outcome; with ``include_base`` also the base (re-based Hausman, see
        :func:`hausman_mcfadden`; SPost's ``base`` option).
    labels : sequence, optional
        Names of the ``J`` outcomes for column ``omitted`` (default the codes).
    split : {"half", "coin"}, default "half"
        The split of :func:`small_hsiao`.

    Returns
    -------
    DataFrame
        Two rows per omitted outcome: ``omitted, test (hausman_mcfadden | small_hsiao), statistic,
        df, p_value, note``; ``note`` flags a negative Hausman statistic (p-value ``nan``).
    """
    codes, J = _codes(y)
    label = (lambda j: j) if labels is None else (lambda j: labels[j])
    rows = []
    for omitted in range(0 if include_base else 1, J):
        hm = hausman_mcfadden(codes, X, omitted)
        note = NEGATIVE_HAUSMAN_NOTE if hm.statistic < 0 else ""
        rows.append((label(omitted), "hausman_mcfadden", hm.statistic, hm.df, hm.p_value, note))
        sh = small_hsiao(codes, X, omitted, seed, split=split)
        rows.append((label(omitted), "small_hsiao", sh.statistic, sh.df, sh.p_value, ""))
    return pd.DataFrame(rows, columns=IIA_COLUMNS)

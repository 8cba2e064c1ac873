"""Separation checks for (multinomial) logit designs, and events per parameter.

:func:`detect_separation` checks each binary sub-problem "base vs j" (the rows with ``y`` in
``{0, j}``), i.e. whether the logit of equation ``j`` fitted on its own would have a finite ML
estimate; where it does not, statsmodels stops with huge estimates and standard errors and at
most a ``ConvergenceWarning``. For the multinomial logit as a whole this is a diagnostic, neither
necessary nor sufficient: separation between two non-base outcomes is not looked at, and a
separated sub-problem can leave the MNL estimate finite when the other outcomes straddle the
separating hyperplane. :func:`detect_mnl_separation` checks the whole model (Albert & Anderson
1984, Biometrika 71:1–10) with the same LP.

The check is the linear-programming method of Konis (2007, *Linear programming algorithms for
detecting separated data in binary logistic regression models*, DPhil thesis, University of
Oxford, ch. 4), the method behind R's ``safeBinaryRegression`` and ``detectseparation``.
For a binary sub-problem with design ``X`` (n, k) and response ``z`` in {0, 1}, write
``s_i = +1`` if ``z_i = 1`` and ``-1`` otherwise. A *direction of recession* is a ``b`` ≠ 0 with

    s_i · x_i'b ≥ 0   for every row i,

i.e. a direction along which the log-likelihood never decreases. The data are separated
(completely or quasi-completely) exactly when such a ``b`` exists with ``X b ≠ 0``. The LP

    maximise  Σ_i s_i · x_i'b   subject to   s_i · x_i'b ≥ 0 (all i),   -1 ≤ b_p ≤ 1

has optimum 0 (reached at ``b = 0``) when the data overlap, and a positive optimum when they are
separated; its solution ``b`` is one direction of recession, and the columns with ``b_p ≠ 0``
are those whose coefficients diverge (with the sign of ``b_p``). The columns of ``X`` are
scaled to a maximum absolute value of 1 first, so the box and the tolerance do not depend on
units. Konis' "test" form of the same LP without the box (unbounded ⇔ separated) is also solved.
A third LP finds the rows that some direction classifies strictly (``n_separated_rows``, see
``_separable_rows``): separation is *complete* when that is every row, *quasi-complete* when it
is some; the sub-problem is flagged if any of the three LPs says so.

The LPs have a variable per constraint row, so on large data (10^5 to 10^6 rows) they are slow.
They are first solved on a subset ``S`` of the rows, which can prove overlap but not separation:

* adding rows only adds constraints ``s_i · x_i'b ≥ 0``, so every direction of recession of the
  full data is one of ``S``;
* if the LPs on ``S`` find no direction of recession with ``X_S b ≠ 0`` (boxed optimum 0, test LP
  bounded, no separable row), every direction of recession of ``S`` has ``s_i · x_i'b = 0`` on
  all rows of ``S``; if the constraint rows of ``S`` also have full column rank, that forces
  ``b = 0``;
* so the full data have no direction of recession either: they overlap, and the full LPs would
  return exactly this result (not separated, kind "none", zero direction, no separable rows).

``S`` takes up to ``SUBSET_PER_CLASS`` rows of each response value (of each observed outcome for
the joint MNL check, whose constraint rows are those of the chosen observations), so rare outcomes
are fully represented, drawn with a fixed seed so results are reproducible. When ``S`` does not
certify overlap (it is separated, or rank-deficient, e.g. a rare dummy that is 0 on all of ``S``),
a ten times larger subset is tried, then the full data. A subset is only used while it has at
most half the rows (one that fails adds its LPs to those on all rows); smaller data go straight to
the full LPs. Separated data are therefore always classified by the LPs on all rows, and every
result is the one of the full LPs (up to the LPs' numerical tolerance, as before).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEPARATION_COLUMNS = ["outcome", "n_rows", "n_events", "separated", "kind", "n_separated_rows",
                      "implicated", "direction"]
EPP_COLUMNS = ["outcome", "events", "parameters", "events_per_parameter"]
SUBSET_PER_CLASS = 2000       # rows per response value in the subset that may certify overlap


def _column_names(n_columns: int, names) -> list[str]:
    if names is None:
        return [f"x{p}" for p in range(n_columns)]
    names = [str(name) for name in names]
    if len(names) != n_columns:
        raise ValueError(f"{len(names)} names for {n_columns} columns")
    return names


def _scaled(X: np.ndarray) -> np.ndarray:
    """``X`` (n, k) with each column divided by its maximum absolute value (all-zero columns kept)."""
    scale = np.max(np.abs(X), axis=0)
    scale[scale == 0] = 1.0
    return X / scale


def _recession_direction(signed: np.ndarray, tol: float) -> tuple[np.ndarray, bool]:
    """Konis' primal LP on the signed, scaled design ``signed`` (n, k).

    Returns the direction ``b`` (k,) with entries below ``tol`` set to 0, and whether the
    unbounded "test" form of the LP is unbounded.
    """
    from scipy.optimize import linprog

    n, k = signed.shape
    objective = -signed.sum(axis=0)        # linprog minimises: maximise Σ s_i x_i'b
    constraints = {"A_ub": -signed, "b_ub": np.zeros(n)}   # -s_i x_i'b <= 0
    boxed = linprog(objective, **constraints, bounds=[(-1.0, 1.0)] * k, method="highs")
    if boxed.status != 0:
        raise RuntimeError(f"separation LP failed: {boxed.message}")
    direction = np.where(np.abs(boxed.x) > tol, boxed.x, 0.0)
    if -boxed.fun <= tol:
        direction = np.zeros(k)
    free = linprog(objective, **constraints, bounds=[(None, None)] * k, method="highs")
    return direction, free.status == 3


def _separable_rows(signed: np.ndarray) -> np.ndarray:
    """Rows that some direction of recession classifies strictly; bool (n,).

    LP in (b, t): maximise Σ t_i subject to ``t_i ≤ s_i x_i'b``, ``0 ≤ t_i ≤ 1``, b free. The
    directions of recession form a convex cone, so one ``b`` (a sum of directions, scaled up)
    gives ``t_i = 1`` on every separable row at once, and ``t_i = 0`` elsewhere.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    n, k = signed.shape
    A_ub = sparse.hstack([sparse.csr_array(-signed), sparse.eye_array(n, format="csr")], format="csr")
    result = linprog(np.concatenate([np.zeros(k), -np.ones(n)]), A_ub=A_ub, b_ub=np.zeros(n),
                     bounds=[(None, None)] * k + [(0.0, 1.0)] * n, method="highs")
    if result.status != 0:
        raise RuntimeError(f"separation LP failed: {result.message}")
    return result.x[k:] > 0.5


def _lp_classify(signed: np.ndarray, tol: float) -> dict:
    """Konis' check plus the separable rows on a signed, scaled design (n, k)."""
    direction, unbounded = _recession_direction(signed, tol)
    separable = _separable_rows(signed)
    separated = bool(unbounded or np.any(direction != 0) or separable.any())
    kind = "none"
    if separated:
        kind = "complete" if separable.all() else "quasi-complete"
    return {"separated": separated, "kind": kind, "direction": direction,
            "n_separated_rows": int(separable.sum())}


def _subset(groups: np.ndarray, per_class: int) -> np.ndarray:
    """Sorted indices of up to ``per_class`` rows of each value of ``groups`` (n,), fixed seed."""
    rng = np.random.default_rng(0)
    chosen = np.zeros(groups.size, dtype=bool)
    for value in np.unique(groups):
        rows = np.flatnonzero(groups == value)
        chosen[rng.choice(rows, min(per_class, rows.size), replace=False)] = True
    return np.flatnonzero(chosen)


def _classify(constraint_rows, groups: np.ndarray, tol: float) -> dict:
    """:func:`_lp_classify` of all rows, with overlap first certified on subsets if possible.

    ``constraint_rows(index)`` returns the signed, scaled constraint rows of the observations
    ``index`` (always the same columns); ``groups`` (n,) the response per observation, along
    which the subsets are stratified. See the module docstring for why the result is that of
    the full LPs.
    """
    n = groups.size
    for per_class in (SUBSET_PER_CLASS, 10 * SUBSET_PER_CLASS):
        subset = _subset(groups, per_class)
        if 2 * subset.size > n:
            break
        signed = constraint_rows(subset)
        if np.linalg.matrix_rank(signed) == signed.shape[1]:
            check = _lp_classify(signed, tol)
            if not check["separated"]:
                return check
    return _lp_classify(constraint_rows(np.arange(n)), tol)


def binary_separation(X, z, tol: float = 1e-7) -> dict:
    """Separation check of one binary logit sub-problem.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    z : array-like of shape (n,)
        Response in {0, 1}.
    tol : float, default 1e-7
        Tolerance of the LPs: direction entries and a boxed optimum at most ``tol`` count as 0.

    Returns
    -------
    dict
        ``separated`` (bool), ``kind`` ("none", "quasi-complete" or "complete"), ``direction``
        (ndarray of shape (k,)) with entries in [-1, 1] on the scaled columns (0 for columns not
        implicated) and ``n_separated_rows`` (int), the rows that some direction of recession
        classifies strictly (their ML fitted probabilities go to 0 or 1).

    Raises
    ------
    RuntimeError
        If an LP fails.
    """
    X = _scaled(np.asarray(X, float))
    z = np.asarray(z).astype(int)
    signs = np.where(z == 1, 1.0, -1.0)
    return _classify(lambda rows: signs[rows, None] * X[rows], z, tol)


def detect_separation(X, y, names=None) -> pd.DataFrame:
    """Separation check of every "base vs j" sub-problem of a multinomial logit.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Float design (with the intercept column if the model has one).
    y : array-like of shape (n,)
        Integer codes 0..J-1 with 0 the base.
    names : sequence of str, length k, optional
        Column names of ``X`` (default ``x0, x1, ...``).

    Returns
    -------
    DataFrame
        One row per non-base outcome j = 1..J-1 with columns ``outcome`` (j), ``n_rows`` (rows
        with y in {0, j}), ``n_events`` (rows with y == j), ``separated`` (bool), ``kind`` ("none",
        "quasi-complete", "complete"), ``n_separated_rows``, ``implicated`` (tuple of the column
        names with a non-zero entry in the LP's direction of recession) and ``direction`` (tuple of
        their signs, +1 or -1: the way the ML estimate diverges).

    Raises
    ------
    ValueError
        If ``X`` is not (n, k) with n = len(y), or ``names`` does not have k entries.
    """
    X = np.asarray(X, float)
    y = np.asarray(y).astype(int)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (n, k) with n = len(y); got {X.shape} and {y.shape}")
    names = _column_names(X.shape[1], names)
    rows = []
    for j in range(1, int(y.max()) + 1):
        keep = (y == 0) | (y == j)
        check = binary_separation(X[keep], (y[keep] == j).astype(int))
        implicated = np.flatnonzero(check["direction"])
        rows.append({
            "outcome": j,
            "n_rows": int(keep.sum()),
            "n_events": int((y == j).sum()),
            "separated": check["separated"],
            "kind": check["kind"],
            "n_separated_rows": check["n_separated_rows"],
            "implicated": tuple(names[p] for p in implicated),
            "direction": tuple(int(np.sign(check["direction"][p])) for p in implicated),
        })
    return pd.DataFrame(rows, columns=SEPARATION_COLUMNS)


def _mnl_signed_rows(X: np.ndarray, y: np.ndarray, m: int) -> np.ndarray:
    """Constraint rows of the joint MNL check; (n·m, m·k) in equation-major theta order.

    For row i and each outcome j ≠ y_i, the row maps ``theta`` to ``x_i'(b_{y_i} - b_j)``
    (with ``b_0 = 0``).
    """
    n, k = X.shape
    rows = []
    for j in range(m + 1):
        keep = y != j
        block = np.zeros((int(keep.sum()), m, k))
        observed = y[keep]
        positive = observed > 0
        block[np.flatnonzero(positive), observed[positive] - 1, :] += X[keep][positive]
        if j > 0:
            block[:, j - 1, :] -= X[keep]
        rows.append(block.reshape(-1, m * k))
    return np.vstack(rows)


def detect_mnl_separation(X, y, names=None, tol: float = 1e-7) -> dict:
    """Joint separation check of the whole multinomial logit (Albert & Anderson 1984).

    The ML estimate exists iff no ``b = (b_1..b_m)`` (``b_0 = 0``) has ``x_i'(b_{y_i} - b_j) ≥ 0``
    for every row i and outcome j ≠ y_i with at least one inequality strict. This is the same LP
    as for one binary sub-problem (see the module docstring) with n·(J-1) constraints in k·(J-1)
    unknowns; it also catches separation between non-base outcomes, which
    :func:`detect_separation` does not look at.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Codes 0..J-1 with 0 the base.
    names : sequence of str, length k, optional
        Column names of ``X`` (default ``x0, x1, ...``).
    tol : float, default 1e-7
        Tolerance of the LPs.

    Returns
    -------
    dict
        ``separated`` (bool), ``kind`` ("none", "quasi-complete", "complete") and ``direction``:
        a DataFrame (k rows named by ``names``, columns outcomes 1..J-1) of -1/0/+1, the signs of
        one direction of recession (which coefficients diverge, and which way).
    """
    X = np.asarray(X, float)
    y = np.asarray(y).astype(int)
    names = _column_names(X.shape[1], names)
    m = int(y.max())
    X = _scaled(X)
    check = _classify(lambda rows: _mnl_signed_rows(X[rows], y[rows], m), y, tol)
    signs = np.sign(check["direction"]).astype(int).reshape(m, X.shape[1]).T
    return {"separated": check["separated"], "kind": check["kind"],
            "direction": pd.DataFrame(signs, index=names, columns=range(1, m + 1))}


def events_per_parameter(y, n_columns: int) -> pd.DataFrame:
    """Events per parameter of each equation "base vs j" of a multinomial logit.

    Parameters
    ----------
    y : array-like of shape (n,)
        Integer codes 0..J-1 with 0 the base.
    n_columns : int
        The number of columns of the design (parameters per equation, intercept included).

    Returns
    -------
    DataFrame
        One row per j = 1..J-1, columns ``outcome, events, parameters, events_per_parameter``.
        ``events`` is the size of the smaller of the two outcome groups of the sub-problem,
        ``min(#{y == 0}, #{y == j})`` (the usual "events" of Peduzzi et al. 1996 for a binary
        logit); ``parameters`` is ``n_columns``.
    """
    y = np.asarray(y).astype(int)
    counts = np.bincount(y, minlength=int(y.max()) + 1)
    events = np.minimum(counts[0], counts[1:])
    return pd.DataFrame({
        "outcome": np.arange(1, counts.size),
        "events": events,
        "parameters": int(n_columns),
        "events_per_parameter": events / n_columns,
    }, columns=EPP_COLUMNS)

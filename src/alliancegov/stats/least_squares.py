"""Ordinary least squares coefficients, fast on tall designs and exact on awkward ones.

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

import numpy as np

# Above this condition number of the equilibrated cross-product (1e4 for the design itself) the normal
# equations would lose more than half the digits: the SVD solves instead.
_NORMAL_EQUATIONS_LIMIT = 1e8


def least_squares(X: np.ndarray, y: np.ndarray, *, condition_limit: float | None = None) -> np.ndarray:
    """OLS coefficients (k,) of ``y`` (n,) on ``X`` (n, k).

    Parameters
    ----------
    X : ndarray of shape (n, k)
        The design.
    y : ndarray of shape (n,)
        The outcome.
    condition_limit : float, optional
        Refuse a design whose equilibrated columns' condition number passes this, or with a column
        of zeros (a resample without a level): rank deficient. By default such a design gets the
        SVD's minimum-norm solution.

    Returns
    -------
    ndarray of shape (k,)
        The coefficients, in units of ``y`` per unit of each column.

    Raises
    ------
    ValueError
        If ``condition_limit`` is given and the design is rank deficient by it.

    Notes
    -----
    The normal equations with equilibrated columns, solved by Cholesky, are about 15× faster than
    ``lstsq``'s SVD at 10^5 rows (the two-stage bootstrap solves dozens per resample); the SVD takes
    over when the scaled cross-product's condition number passes 1e8 (about 8 digits would be
    lost) or a column is 0.
    """
    from scipy import linalg

    gram = X.T @ X
    scale = np.sqrt(np.diag(gram))
    if np.all(scale > 0):
        scaled = gram / np.outer(scale, scale)
        if np.linalg.cond(scaled) < _NORMAL_EQUATIONS_LIMIT:
            return linalg.solve(scaled, (X.T @ y) / scale, assume_a="pos") / scale
    if condition_limit is not None and (np.any(scale == 0) or np.linalg.cond(X / scale) > condition_limit):
        raise ValueError("the design is rank deficient")
    return np.linalg.lstsq(X, y, rcond=None)[0]

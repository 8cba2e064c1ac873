"""Which columns of a design matrix are linearly dependent, named.

A rank-deficient design makes every estimator here fail with a bare "singular matrix", or worse,
lets a pseudo-inverse return one of infinitely many solutions. :func:`linear_dependencies` finds
the exact linear relations among the columns, so a message can say which columns are to blame.

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The Gram matrix of the equilibrated columns decides "full rank" at once when its smallest
# eigenvalue is above this share of its largest (a condition number of X under 10^4): far above
# the rounding of forming X'X, even at 10^7 rows. Only the rare design below it pays for a QR.
SCREEN = 1e-8


# An entry of a reduced null vector counts when above this (the vectors are scaled to a pivot of 1).
SUPPORT = 1e-8


@dataclass(frozen=True)
class LinearDependency:
    """One exact linear relation among columns: ``X[:, columns] @ weights`` is 0 on every row.

    Attributes
    ----------
    columns : tuple of str
        The columns with a non-zero weight, in the design's order.
    weights : tuple of float
        Their weights in the columns' own units, the last one 1.
    """

    columns: tuple[str, ...]
    weights: tuple[float, ...]

    def equation(self, constant: str | None = None, digits: int = 3) -> str:
        """The relation as the last column written in terms of the earlier ones.

        Parameters
        ----------
        constant : str, optional
            The name of a column of ones, written as a bare number (``a = 3 + 0.5·b``).
        digits : int, default=3
            Significant digits of the coefficients.

        Returns
        -------
        str
            E.g. ``trust_copy = 2·trust``, ``x = 0`` for a column of zeros.
        """
        *others, last = self.columns
        parts = []
        for name, weight in zip(others, self.weights[:-1]):
            coefficient = -weight
            size = abs(coefficient)
            shown = f"{size:.{digits}g}"
            if name == constant:
                term = shown
            else:
                term = name if np.isclose(size, 1.0, rtol=10.0 ** -digits, atol=0) else f"{shown}·{name}"
            parts.append(("− " if coefficient < 0 else "+ ") + term)
        if not parts:
            return f"{last} = 0"
        right = " ".join(parts)
        right = right[2:] if right.startswith("+ ") else "−" + right[2:]
        return f"{last} = {right}"


def _reduced_row_echelon(rows: np.ndarray, tolerance: float) -> np.ndarray:
    """The reduced row echelon form of ``rows`` (d, k) by Gauss–Jordan with partial pivoting; rows of 0 dropped."""
    A = rows.astype(float, copy=True)
    n_rows, n_columns = A.shape
    rank = 0
    for column in range(n_columns):
        if rank == n_rows:
            break
        pivot = rank + int(np.argmax(np.abs(A[rank:, column])))
        if abs(A[pivot, column]) <= tolerance:
            continue
        A[[rank, pivot]] = A[[pivot, rank]]
        A[rank] /= A[rank, column]
        others = np.arange(n_rows) != rank
        A[others] -= np.outer(A[others, column], A[rank])
        rank += 1
    return A[:rank]


def linear_dependencies(X, names: Sequence[str], *, rtol: float | None = None) -> list[LinearDependency]:
    """The linear relations that make the columns of ``X`` rank-deficient, by column name.

    Parameters
    ----------
    X : array-like of shape (n, k)
        The design matrix.
    names : sequence of str
        The k column names.
    rtol : float, optional
        A singular value of the column-equilibrated ``X`` at or below ``rtol`` times the largest
        counts as 0. Default ``max(n, k) · eps``, numpy's ``matrix_rank`` rule: exact dependencies
        only. A larger value (say 1e-7) also names columns that are collinear to within
        rounding, which defeat a Cholesky factorisation of a likelihood's information.

    Returns
    -------
    list of LinearDependency
        One relation per dimension of the null space, in reduced row echelon form taken from the
        last column back: each ends at a column no other relation uses, which it gives in terms of
        earlier ones, so relations among disjoint sets of columns come apart
        (``trust_copy = 2·trust`` and ``sector[c] = Intercept − sector[a] − sector[b]``). A column
        of zeros is a relation of its own. Ordered by their last column; empty when ``X`` has full
        column rank.

    Notes
    -----
    Columns are scaled to unit length first, so the rank does not depend on their units. The
    smallest eigenvalue of the scaled Gram matrix settles the usual, well-conditioned case in
    O(nk²) without a factorisation; otherwise the singular values come from the R of a QR
    factorisation (those of ``X``), and the null space from its right singular vectors.
    """
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    if len(names) != k:
        raise ValueError(f"{k} columns but {len(names)} names")
    norms = np.sqrt(np.einsum("ij,ij->j", X, X))
    zero = norms == 0
    dependencies = [LinearDependency((names[j],), (1.0,)) for j in np.flatnonzero(zero)]
    kept = np.flatnonzero(~zero)
    if kept.size == 0:
        return dependencies
    scaled = X[:, kept] / norms[kept]
    tolerance = max(n, kept.size) * np.finfo(float).eps if rtol is None else rtol
    eigenvalues = np.linalg.eigvalsh(scaled.T @ scaled)
    if n >= kept.size and eigenvalues[0] > max(SCREEN, 100 * tolerance**2) * eigenvalues[-1]:
        return dependencies
    if n > kept.size:
        scaled = np.linalg.qr(scaled, mode="r")
    _, singular, right = np.linalg.svd(scaled, full_matrices=True)
    rank = int(np.sum(singular > tolerance * singular[0]))
    null = right[rank:]
    if null.shape[0] == 0:
        return dependencies
    # Pivoting from the last column back writes each relation as a later column in terms of earlier
    # ones: a duplicated regressor is named after its copy, a full set of dummies after its last level.
    for row in _reduced_row_echelon(null[:, ::-1], SUPPORT):
        row = row[::-1]
        support = np.flatnonzero(np.abs(row) > SUPPORT * np.abs(row).max())
        weights = row[support] / norms[kept[support]]
        dependencies.append(LinearDependency(tuple(names[kept[j]] for j in support),
                                             tuple(float(w) for w in weights / weights[-1])))
    order = {name: i for i, name in enumerate(names)}
    return sorted(dependencies, key=lambda dependency: order[dependency.columns[-1]])

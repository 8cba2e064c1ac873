"""Cluster identifiers as the estimators use them: one integer code per row.

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

import numpy as np


def cluster_codes(groups, n: int, name: str = "groups") -> np.ndarray:
    """Cluster codes 0..G−1 of ``n`` rows, numbered in order of first appearance.

    Parameters
    ----------
    groups : array-like of shape (n,)
        Any hashable labels (firm keys, numbers).
    n : int
        Rows expected.
    name : str
        The argument's name in error messages.

    Returns
    -------
    ndarray of shape (n,), int
        The code of each row's cluster.

    Raises
    ------
    ValueError
        If ``groups`` does not hold ``n`` labels or holds a missing one (a row without a cluster
        would otherwise silently become a cluster of its own, or be dropped).
    """
    import pandas as pd

    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), not {groups.shape}")
    codes, _ = pd.factorize(groups)
    if np.any(codes < 0):
        raise ValueError(f"{name} must not contain missing values")
    return codes

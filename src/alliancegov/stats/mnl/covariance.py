"""Robust, cluster-robust and stacked (``suest``) covariances of the MNL with Stata's finite-sample scaling.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.stats.clusters import cluster_codes
from alliancegov.stats.mnl.core import (
    _chunk_rows,
    _design,
    _information_from_probs,
    _outcomes,
    _pair_blocks,
    _params,
    _residuals,
    _weights,
    model_covariance,
    probabilities,
)


def sandwich_covariance(X, y, params, *, kind: Literal["robust", "cluster"], groups=None, weights=None,
                        information=None,
                        weight_type: Literal["sampling", "frequency"] = "sampling") -> np.ndarray:
    """Robust or cluster-robust (sandwich) covariance with Stata's finite-sample scaling.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``.
    params : array-like of shape (k, J-1)
        The fitted coefficients.
    kind : {"robust", "cluster"}
        ``vce(robust)`` or ``vce(cluster g)`` (see Notes).
    groups : array-like of shape (n,), optional
        Cluster labels of any kind; required for ``kind="cluster"``.
    weights : array-like of shape (n,), optional
        Non-negative weights.
    information : array-like of shape (k(J-1), k(J-1)), optional
        The negative Hessian, with the same weights, to avoid recomputing it.
    weight_type : {"sampling", "frequency"}, default "sampling"
        Stata ``pweight`` or ``fweight`` (see Notes).

    Returns
    -------
    ndarray of shape (k(J-1), k(J-1))
        The covariance, equation-major.

    Raises
    ------
    ValueError
        If ``kind`` or ``weight_type`` is unknown, or ``kind="cluster"`` comes without ``groups``.

    Notes
    -----
    With ``A = I^{-1}`` the inverse (weighted) information and ``s_i`` the per-observation score
    (:func:`score_contributions`):

    ``kind="robust"`` (Stata ``mlogit, vce(robust)``)
        ``V = N/(N-1) * A (sum_i u_i u_i') A``.
        *Unweighted*: ``u_i = s_i``, ``N = n``.
        *Sampling weights* (``weight_type="sampling"``, Stata ``pweight``, the default): the weights
        multiply the scores, ``u_i = w_i s_i``, and ``N`` is the number of observations (rows with
        a positive weight), not the sum of weights.
        *Frequency weights* (``weight_type="frequency"``, Stata ``fweight``): Stata treats row ``i``
        as ``w_i`` identical observations, so the meat is ``sum_i w_i s_i s_i'`` and
        ``N = sum_i w_i``; the result equals the robust covariance on the expanded data.
    ``kind="cluster"`` (Stata ``mlogit, vce(cluster g)``)
        ``V = G/(G-1) * A (sum_g S_g S_g') A`` with ``S_g = sum_{i in g} w_i s_i`` the summed
        (weighted) scores of cluster ``g`` and ``G`` the number of clusters (with positive weight).
        Frequency and sampling weights give the same result here (and fweights reproduce the
        expanded data). There is no ``(N-1)/(N-K)`` factor: Stata applies it only for ``regress``.

    Relation to statsmodels' ``MNLogit(...).fit(cov_type=...)`` (unweighted):

    * ``cov_type="HC0"`` (and HC1..HC3, which ``MNLogit`` treats the same) is the plain sandwich,
      so Stata's robust ``= N/(N-1) * HC0``;
    * ``cov_type="cluster"`` scales by ``G/(G-1) * (N-1)/(N-K)`` with ``K = k(J-1)`` the number of
      all parameters, so Stata's cluster ``= statsmodels' cluster * (N-K)/(N-1)``.

    Robust meats are built from outcome-pair products like :func:`information`, so no
    (n, k(J-1)) score matrix is formed; cluster meats from blocks of clusters
    (:func:`_cluster_meat`).
    """
    X = _design(X)
    n, k = X.shape
    B = _params(params, k)
    y = _outcomes(y, n, B.shape[1] + 1)
    w = _weights(weights, n)
    P = probabilities(X, B)
    if information is None:
        info = _information_from_probs(X, P, w)
    else:
        info = np.asarray(information, dtype=float)
    bread = model_covariance(info)
    U = _residuals(y, P)
    scale, factor, codes = meat_scaling(n, kind=kind, groups=groups, weights=w, weight_type=weight_type)
    if scale is not None:
        U *= scale[:, None]
    meat = _pair_blocks(X, U, U) if codes is None else _cluster_meat(X, U, codes)
    V = factor * bread @ meat @ bread
    return (V + V.T) / 2


def meat_scaling(n: int, *, kind: Literal["robust", "cluster"], groups=None, weights=None,
                 weight_type: Literal["sampling", "frequency"] = "sampling"):
    """Stata's rules for the meat of a robust or cluster-robust sandwich, for any ML estimator.

    Parameters
    ----------
    n : int
        Number of rows.
    kind : {"robust", "cluster"}
        ``vce(robust)`` or ``vce(cluster g)``.
    groups : array-like of shape (n,), optional
        Cluster labels; required for ``kind="cluster"``.
    weights : array-like of shape (n,), optional
        Non-negative weights.
    weight_type : {"sampling", "frequency"}
        Stata ``pweight`` or ``fweight`` (see :func:`sandwich_covariance`).

    Returns
    -------
    scale : ndarray of shape (n,) or None
        Multiplier of each row's unweighted score in the meat (None: 1).
    factor : float
        ``N/(N-1)`` (robust; N the sum of frequency weights, else the rows with positive weight) or
        ``G/(G-1)`` (cluster; G the clusters with positive weight).
    codes : ndarray of shape (n,) or None
        Cluster numbers ``0 .. G-1`` (None for ``kind="robust"``): the meat is
        ``sum_g S_g S_g'`` over the clusters' summed scaled scores, else ``sum_i u_i u_i'``.

    Raises
    ------
    ValueError
        If ``kind`` or ``weight_type`` is unknown, or ``kind="cluster"`` comes without ``groups``.
    """
    w = _weights(weights, n)
    if weight_type not in ("sampling", "frequency"):
        raise ValueError("weight_type must be 'sampling' or 'frequency'")
    positive = np.ones(n, bool) if w is None else w > 0
    if kind == "robust":
        if w is None:
            return None, n / (n - 1), None
        if weight_type == "frequency":
            # row i stands for w_i identical observations: sum_i w_i s_i s_i' = sum_i (sqrt(w_i) s_i)(...)'
            N = float(w.sum())
            return np.sqrt(w), N / (N - 1), None
        N = int(positive.sum())
        return w, N / (N - 1), None
    if kind == "cluster":
        if groups is None:
            raise ValueError("kind='cluster' needs groups")
        codes = cluster_codes(groups, n)
        G = int(np.unique(codes[positive]).size)
        return w, G / (G - 1), codes
    raise ValueError("kind must be 'robust' or 'cluster'")


def _cluster_score_sums(X: np.ndarray, U: np.ndarray, codes: np.ndarray):
    """Blocks ``(clusters, sums)`` of the summed scores ``S_g = sum_{i in g} U_i (x) x_i``: cluster
    numbers (b,) in increasing order and their sums (b, m k), equation-major; ``X`` (n, k), ``U``
    (n, m) score residuals (weighted), ``codes`` (n,) cluster numbers. A block of clusters at a
    time: all G at once, (G, m k), took 2.9 GB with 10^6 firms and 360 parameters."""
    m, k = U.shape[1], X.shape[1]
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    bounds = np.r_[starts, codes.size]
    clusters_per_block = max(1, _chunk_rows(m * k) * starts.size // max(codes.size, 1))
    for first in range(0, starts.size, clusters_per_block):
        last = min(first + clusters_per_block, starts.size)
        rows = order[bounds[first]:bounds[last]]
        scores = (U[rows][:, :, None] * X[rows][:, None, :]).reshape(rows.size, m * k)
        yield codes[order[starts[first:last]]], np.add.reduceat(scores, starts[first:last] - bounds[first], axis=0)


def _cluster_meat(X: np.ndarray, U: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``sum_g S_g S_g'`` (m k, m k) over the clusters' summed scores (:func:`_cluster_score_sums`)."""
    p = U.shape[1] * X.shape[1]
    meat = np.zeros((p, p))
    for _, sums in _cluster_score_sums(X, U, codes):
        meat += sums.T @ sums
    return meat


def stacked_covariance(samples, *, kind: Literal["model", "robust", "cluster"]) -> np.ndarray:
    """Joint covariance of MNLs fitted separately on several samples, as Stata's ``suest``.

    Parameters
    ----------
    samples : iterable of tuple
        Per sample ``(X (n_s, k_s), y (n_s,), params (k_s, J-1), groups)``: unweighted ML fits on
        that sample, ``groups`` (n_s,) the cluster labels of its rows (None unless
        ``kind="cluster"``; a cluster may have rows in several samples: a firm interviewed in
        several waves).
    kind : {"model", "robust", "cluster"}
        The bread is block-diagonal (each sample's inverse information); ``model`` stops there;
        ``robust`` is the sandwich with each row's scores in its own sample's block, ``N/(N-1)``
        with N the rows of all samples; ``cluster`` sums each cluster's scores within each sample,
        the meat's block (s, t) pairing the clusters the two samples share, scaled by ``G/(G-1)``
        with G the distinct clusters of all samples.

    Returns
    -------
    ndarray of shape (P, P)
        The covariance of the stacked equation-major coefficient vectors, ``P = sum_s (J-1) k_s``.

    Raises
    ------
    ValueError
        If ``kind`` is unknown, or ``kind="cluster"`` lacks the groups of a sample or they hold a
        missing value.

    Notes
    -----
    This is the covariance of the pooled model with every coefficient interacted with the sample
    (whose estimates are the separate fits), without that model's (n, P) design: with 10^6 rows
    in 10 waves that design and its fit took 6 GB.
    """
    from scipy import linalg

    blocks, residuals, labels = [], [], []
    for X, y, params, groups in samples:
        X = _design(X)
        B = _params(params, X.shape[1])
        y = _outcomes(y, X.shape[0], B.shape[1] + 1)
        P = probabilities(X, B)
        blocks.append(model_covariance(_information_from_probs(X, P, None)))
        residuals.append((X, _residuals(y, P)))
        labels.append(groups)
    bread = linalg.block_diag(*blocks)
    if kind == "model":
        return bread
    sizes = [block.shape[0] for block in blocks]
    offsets = np.r_[0, np.cumsum(sizes)]
    meat = np.zeros_like(bread)
    if kind == "robust":
        for s, (X, U) in enumerate(residuals):
            meat[offsets[s]:offsets[s + 1], offsets[s]:offsets[s + 1]] = _pair_blocks(X, U, U)
        n = sum(X.shape[0] for X, _ in residuals)
        factor = n / (n - 1)
    elif kind == "cluster":
        if any(groups is None for groups in labels):
            raise ValueError("kind='cluster' needs the groups of every sample")
        codes, uniques = pd.factorize(np.concatenate([np.asarray(groups) for groups in labels]))
        if np.any(codes < 0):
            raise ValueError("groups contains missing values")
        sums = []
        for (X, U), sample_codes in zip(residuals, np.split(codes, np.cumsum([len(g) for g in labels])[:-1])):
            clusters, parts = zip(*_cluster_score_sums(X, U, sample_codes))
            sums.append((np.concatenate(clusters), np.vstack(parts)))
        for s, (clusters_s, sums_s) in enumerate(sums):
            for t in range(s, len(sums)):
                clusters_t, sums_t = sums[t]
                _, in_s, in_t = np.intersect1d(clusters_s, clusters_t, assume_unique=True, return_indices=True)
                block = sums_s[in_s].T @ sums_t[in_t]
                meat[offsets[s]:offsets[s + 1], offsets[t]:offsets[t + 1]] = block
                meat[offsets[t]:offsets[t + 1], offsets[s]:offsets[s + 1]] = block.T
        factor = len(uniques) / (len(uniques) - 1)
    else:
        raise ValueError("kind must be 'model', 'robust' or 'cluster'")
    V = factor * bread @ meat @ bread
    return (V + V.T) / 2

"""The CFA model as flat arrays of matrix entries ("slots"), and the groups' sample moments.

Each entry of Λ, Φ, Θ, ν and α of each group is one slot; a slot is fixed or equals one free
parameter, and slots sharing a parameter are an equality constraint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# slot kinds: one model-matrix entry of one group
LOADING, FACTOR_COV, RESIDUAL, INTERCEPT, LATENT_MEAN = range(5)


@dataclass(frozen=True)
class ModelSlots:
    """The model as flat arrays of matrix entries ("slots"), one per entry and group.

    ``row``/``col`` index items or factors (loading: item, factor; factor covariance: factor,
    factor with row <= col; residual variance and intercept: item; latent mean: factor).
    ``param`` is the index of the free parameter the entry equals, or -1 for a fixed entry whose
    value is ``value`` (for a free entry, ``value`` is the start value). ``kind`` is one of
    ``LOADING, FACTOR_COV, RESIDUAL, INTERCEPT, LATENT_MEAN``; every array has one element per slot.
    """

    items: tuple[str, ...]
    factors: tuple[str, ...]
    n_groups: int
    meanstructure: bool
    kind: np.ndarray
    group: np.ndarray
    row: np.ndarray
    col: np.ndarray
    param: np.ndarray
    value: np.ndarray
    n_params: int

    def values(self, theta: np.ndarray) -> np.ndarray:
        """The value of every slot at the parameters ``theta``.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The free parameters.

        Returns
        -------
        ndarray of shape (n_slots,)
            A free slot's parameter, a fixed slot's ``value``.
        """
        free = self.param >= 0
        return np.where(free, theta[np.where(free, self.param, 0)], self.value)

    def matrices(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, ...]:
        """``(Λ, Φ, θ_diag, ν, α)`` of group ``g`` at parameters ``theta``.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The free parameters.
        g : int
            The group's position (0 for the first group).

        Returns
        -------
        tuple of ndarray
            Loadings Λ (p, m), factor covariances Φ (m, m, symmetric), residual variances
            diag(Θ) (p,), item intercepts ν (p,) and latent means α (m,); p items, m factors.
        """
        p, m = len(self.items), len(self.factors)
        values = self.values(theta)
        lam, phi, resid = np.zeros((p, m)), np.zeros((m, m)), np.zeros(p)
        nu, alpha = np.zeros(p), np.zeros(m)
        for kind, target in ((LOADING, lam), (FACTOR_COV, phi)):
            s = (self.kind == kind) & (self.group == g)
            target[self.row[s], self.col[s]] = values[s]
        phi = np.triu(phi) + np.triu(phi, 1).T
        for kind, target in ((RESIDUAL, resid), (INTERCEPT, nu), (LATENT_MEAN, alpha)):
            s = (self.kind == kind) & (self.group == g)
            target[self.row[s]] = values[s]
        return lam, phi, resid, nu, alpha

    def moments(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied covariance (p, p) and mean (p,) of group ``g``.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The free parameters.
        g : int
            The group's position.

        Returns
        -------
        sigma : ndarray of shape (p, p)
            Σ_g = Λ Φ Λ' + Θ.
        mu : ndarray of shape (p,)
            μ_g = ν + Λ α.
        """
        lam, phi, resid, nu, alpha = self.matrices(theta, g)
        return lam @ phi @ lam.T + np.diag(resid), nu + lam @ alpha

    def jacobian(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Derivatives of Σ_g (n_params, p, p) and μ_g (n_params, p) with respect to ``theta``.

        Σ is bilinear in the parameters, so each derivative is a sum of outer products; half of
        each symmetric derivative is accumulated and the transpose added at the end.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The free parameters.
        g : int
            The group's position.

        Returns
        -------
        d_sigma : ndarray of shape (n_params, p, p)
            ∂Σ_g/∂θ_a for each free parameter a.
        d_mean : ndarray of shape (n_params, p)
            ∂μ_g/∂θ_a for each free parameter a.
        """
        lam, phi, _, _, alpha = self.matrices(theta, g)
        p = len(self.items)
        half = np.zeros((self.n_params, p, p))
        d_mean = np.zeros((self.n_params, p))

        def free(kind):
            s = (self.kind == kind) & (self.group == g) & (self.param >= 0)
            return self.param[s], self.row[s], self.col[s]

        par, item, factor = free(LOADING)
        np.add.at(half, (par, item), (lam @ phi)[:, factor].T)
        np.add.at(d_mean, (par, item), alpha[factor])
        par, a, b = free(FACTOR_COV)
        weight = np.where(a == b, 0.5, 1.0)
        np.add.at(half, par, weight[:, None, None] * np.einsum("in,jn->nij", lam[:, a], lam[:, b]))
        par, item, _ = free(RESIDUAL)
        np.add.at(half, (par, item, item), 0.5)
        par, item, _ = free(INTERCEPT)
        np.add.at(d_mean, (par, item), 1.0)
        par, factor, _ = free(LATENT_MEAN)
        np.add.at(d_mean, par, lam[:, factor].T)
        return half + half.transpose(0, 2, 1), d_mean

    def extended(self, slots: Sequence[tuple[int, int, int, int]]) -> ModelSlots:
        """This model plus the entries ``(kind, group, row, col)`` as new free parameters at 0.

        Parameters
        ----------
        slots : sequence of tuple of (int, int, int, int)
            The entries to free, each as ``(kind, group, row, col)``.

        Returns
        -------
        ModelSlots
            The model with ``n_params + len(slots)`` parameters, the new ones last (start value 0).
        """
        extra = np.asarray(slots, dtype=int).reshape(-1, 4)
        new = np.arange(self.n_params, self.n_params + len(extra))
        return ModelSlots(self.items, self.factors, self.n_groups, self.meanstructure,
                          np.concatenate([self.kind, extra[:, 0]]), np.concatenate([self.group, extra[:, 1]]),
                          np.concatenate([self.row, extra[:, 2]]), np.concatenate([self.col, extra[:, 3]]),
                          np.concatenate([self.param, new]), np.concatenate([self.value, np.zeros(len(extra))]),
                          self.n_params + len(extra))


@dataclass(frozen=True)
class SampleMoments:
    """Per-group sample moments (ML divisor N).

    Attributes
    ----------
    labels : tuple
        Group labels, in the order of the fit.
    n_obs : ndarray of shape (n_groups,)
        Rows per group (float).
    covariances : tuple of ndarray of shape (p, p)
        Each group's sample covariance of the items, divisor N_g.
    means : tuple of ndarray of shape (p,)
        Each group's item means.
    """

    labels: tuple
    n_obs: np.ndarray
    covariances: tuple[np.ndarray, ...]
    means: tuple[np.ndarray, ...]

    @property
    def weights(self) -> np.ndarray:
        """Each group's share of the rows, N_g / N, shape (n_groups,)."""
        return self.n_obs / self.n_obs.sum()

"""A fitted CFA: its parameter table, fit measures and model matrices by group."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alliancegov.stats.cfa.slots import ModelSlots, SampleMoments


@dataclass(frozen=True)
class CFAResult:
    """A fitted CFA (see :func:`fit_cfa`).

    Attributes
    ----------
    params : DataFrame
        One row per model-matrix entry and group, columns ``PARAMETER_COLUMNS``; fixed entries
        have NaN standard errors. ``op`` is ``=~`` (loading), ``~~`` (variance or covariance;
        ``x ~~ x`` for an item is its residual variance) or ``~1`` (intercept or latent mean).
    fit : Series
        Fit measures: ``n_obs, n_dropped, npar, chisq, df, p_value, baseline_chisq, baseline_df,
        cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, rmsea_p_close, srmr, loglik, loglik_h1,
        aic, bic`` (χ² and log-likelihoods in their natural units, RMSEA CI at 90 %).
    chisq_by_group : Series
        N_g F_g of each group, summing to ``fit["chisq"]``.
    n_obs : Series
        Rows used per group, after listwise deletion.
    converged : bool
        Whether the largest absolute gradient of the discrepancy is below ``GRADIENT_TOLERANCE``.
    factors : dict of str to list of str
        The model: factor name -> its items, as given to :func:`fit_cfa`.
    groups : tuple
        Group labels in the order of the fit (``("all",)`` for a single group).
    items : list of str
        All items, in order of first mention in ``factors``.
    """

    params: pd.DataFrame
    fit: pd.Series
    chisq_by_group: pd.Series
    n_obs: pd.Series
    converged: bool
    factors: dict[str, list[str]]
    _spec: ModelSlots = field(repr=False)
    _sample: SampleMoments = field(repr=False)
    _theta: np.ndarray = field(repr=False)
    _vcov: np.ndarray = field(repr=False)

    @property
    def groups(self) -> tuple:
        """Group labels in the order of the fit (``("all",)`` for a single group)."""
        return self._sample.labels

    @property
    def items(self) -> list[str]:
        """All items, in order of first mention in ``factors``."""
        return list(self._spec.items)

    def _group_index(self, group) -> int:
        if group is None:
            return 0
        if group not in self.groups:
            raise KeyError(f"no group {group!r}; groups are {list(self.groups)}")
        return self.groups.index(group)

    def loadings(self, group=None) -> pd.DataFrame:
        """Unstandardised loadings Λ of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_factors)
            Items as index, factors as columns; 0 where an item does not load.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        lam = self._spec.matrices(self._theta, self._group_index(group))[0]
        return pd.DataFrame(lam, index=self.items, columns=list(self._spec.factors))

    def factor_covariance(self, group=None) -> pd.DataFrame:
        """Factor covariance matrix Φ of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_factors, n_factors)
            Factors as index and columns.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        phi = self._spec.matrices(self._theta, self._group_index(group))[1]
        return pd.DataFrame(phi, index=list(self._spec.factors), columns=list(self._spec.factors))

    def factor_correlation(self, group=None) -> pd.DataFrame:
        """Factor correlation matrix of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_factors, n_factors)
            Factors as index and columns; NaN in the row and column of a factor with a negative
            variance estimate.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        phi = self.factor_covariance(group)
        with np.errstate(invalid="ignore"):       # NaN for a negative variance
            sd = np.sqrt(np.diag(phi.to_numpy()))
        return phi / np.outer(sd, sd)

    def residual_variances(self, group=None) -> pd.Series:
        """Residual (unique) variances diag(Θ) of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        Series of length n_items
            Indexed by item.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        return pd.Series(self._spec.matrices(self._theta, self._group_index(group))[2], index=self.items)

    def implied_covariance(self, group=None) -> pd.DataFrame:
        """Model-implied item covariance Σ̂ of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_items)
            Items as index and columns.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        sigma = self._spec.moments(self._theta, self._group_index(group))[0]
        return pd.DataFrame(sigma, index=self.items, columns=self.items)

    def sample_covariance(self, group=None) -> pd.DataFrame:
        """Sample item covariance S (divisor N) of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_items)
            Items as index and columns, on the rows used by the fit.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        return pd.DataFrame(self._sample.covariances[self._group_index(group)], index=self.items,
                            columns=self.items)

    def standardized_loadings(self, group=None) -> pd.DataFrame:
        """Completely standardised loadings λ_ij sqrt(φ_jj) / sqrt(σ̂_ii) of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_factors)
            Items as index, factors as columns; NaN where a variance estimate is negative.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        lam = self.loadings(group)
        with np.errstate(invalid="ignore"):       # NaN for a negative variance
            factor_sd = np.sqrt(np.diag(self.factor_covariance(group).to_numpy()))
            item_sd = np.sqrt(np.diag(self.implied_covariance(group).to_numpy()))
        return lam * np.outer(1 / item_sd, factor_sd)

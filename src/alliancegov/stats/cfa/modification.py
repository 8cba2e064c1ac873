"""Modification indices: score tests for adding each absent loading to a fitted CFA."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.stats.cfa.likelihood import expected_information
from alliancegov.stats.cfa.result import CFAResult
from alliancegov.stats.cfa.slots import LOADING

MODIFICATION_COLUMNS = ["group", "lhs", "op", "rhs", "mi", "p_value", "epc", "sepc_all"]


def modification_indices(result: CFAResult) -> pd.DataFrame:
    """Score tests (modification indices) for adding each absent loading, as lavaan's ``modindices``.

    For a fixed-at-zero loading e, with the log-likelihood score s and the expected information
    J of the model extended by e, both at the estimates, ``mi = s_e² / V`` and ``epc = s_e / V``
    where ``V = J_ee - J_ef J_ff⁻¹ J_fe`` (one candidate at a time; Sörbom 1989). Under the model,
    ``mi`` is χ²(1).

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.

    Returns
    -------
    DataFrame
        One row per absent loading and group, columns ``MODIFICATION_COLUMNS``: ``mi`` (χ²(1)),
        its ``p_value``, the expected parameter change ``epc`` and ``sepc_all`` (the EPC
        completely standardised, λ sqrt(φ_jj) / sqrt(σ̂_ii)).
    """
    from scipy import stats

    spec, sample = result._spec, result._sample
    present = {(g, i, j) for kind, g, i, j in zip(spec.kind, spec.group, spec.row, spec.col) if kind == LOADING}
    candidates = [(LOADING, g, i, j) for g in range(spec.n_groups) for j in range(len(spec.factors))
                  for i in range(len(spec.items)) if (g, i, j) not in present]
    columns = {name: [] for name in MODIFICATION_COLUMNS}
    if not candidates:
        return pd.DataFrame(columns)
    extended = spec.extended(candidates)
    theta = np.concatenate([result._theta, np.zeros(len(candidates))])
    information, score = expected_information(extended, sample, theta)
    q = spec.n_params
    J_ff, J_fe = information[:q, :q], information[:q, q:]
    conditional = np.diag(information[q:, q:]) - np.einsum("fe,fe->e", J_fe, np.linalg.solve(J_ff, J_fe))
    mi = score[q:] ** 2 / conditional
    epc = score[q:] / conditional
    for (_, g, i, j), index, change in zip(candidates, mi, epc):
        sd_item = np.sqrt(result.implied_covariance(result.groups[g]).to_numpy()[i, i])
        sd_factor = np.sqrt(result.factor_covariance(result.groups[g]).to_numpy()[j, j])
        for name, value in zip(MODIFICATION_COLUMNS, (result.groups[g], spec.factors[j], "=~", spec.items[i],
                                                      index, stats.chi2.sf(index, 1), change,
                                                      change * sd_factor / sd_item)):
            columns[name].append(value)
    return pd.DataFrame(columns)

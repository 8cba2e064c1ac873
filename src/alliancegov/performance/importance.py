"""Relative importance of groups of regressors in the performance outcome's R² (Shapley shares
with firm-cluster bootstrap inference).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def importance_table(frame: pd.DataFrame, outcome: str, groups: dict[str, str], *, n_boot: int, seed: int,
                     cluster: str | None = None, n_jobs: int = 1) -> pd.DataFrame:
    """Shapley (general dominance) decomposition of the R² of ``outcome`` on groups of regressors,
    each group a fragment of the expression grammar (``misaligned``, ``C(sector)``), over the
    complete rows, with bootstrap intervals of the shares and tests of their differences.

    Parameters
    ----------
    frame : DataFrame
        One row per firm-wave.
    outcome : str
        The outcome's column.
    groups : dict of str to str
        Group name → fragment (expanded without intercept).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resamples.
    cluster : str, optional
        Column whose values are resampled whole (the firm, when firms repeat across waves).
    n_jobs : int
        Worker processes of the bootstrap.

    Returns
    -------
    DataFrame
        :func:`~alliancegov.stats.importance_inference.shapley_share_inference`'s table (columns
        ``SHARE_COLUMNS``: one ``share`` row per group, a ``difference`` row per pair, a
        ``largest`` row per group) over the rows complete in the outcome, every group and the
        cluster, with the number of rows ``n`` and of clusters ``n_clusters``.
    """
    from alliancegov.expressions import design_matrix
    from alliancegov.stats.importance_inference import shapley_share_inference

    matrices = {name: design_matrix(f"{fragment} - 1", frame, source=f"importance.groups.{name}",
                                    NA_action="drop")
                for name, fragment in groups.items()}
    complete = frame[outcome].notna() & (frame[cluster].notna() if cluster else True)
    rows = frame.index[complete]
    for matrix in matrices.values():
        rows = rows.intersection(matrix.index)
    cluster_ids = pd.factorize(frame.loc[rows, cluster])[0] if cluster else None
    table = shapley_share_inference(frame.loc[rows, outcome].to_numpy(float),
                                    {name: matrix.loc[rows].to_numpy(float) for name, matrix in matrices.items()},
                                    n_boot=n_boot, seed=seed, cluster_ids=cluster_ids, n_jobs=n_jobs)
    return table.assign(n=len(rows), n_clusters=len(np.unique(cluster_ids)) if cluster else len(rows))

"""Nonparametric (optionally cluster) bootstrap of any estimator, in parallel and reproducibly.

All resamples are drawn up front from ``numpy.random.default_rng(seed)``, so the estimates do
not depend on the number of workers or on how the work is split. The re-fits run with joblib's
``loky`` backend in a few chunks per worker (one task per chunk, not per resample), because a
task costs far more than the ~1e-4 s a small logit needs. Resamples whose fit raises, returns
``None``, returns non-finite values or a vector of another length are counted as failed and
kept as rows of NaN with their reason, never dropped silently: a high failure share (e.g. from
separation in small resamples) is itself a finding.

At large n, :func:`newton_step_bootstrap` replaces the refits by Newton steps from the full-sample
estimate on the same resamples (or by the score bootstrap's random multipliers).
"""

from __future__ import annotations

from alliancegov.stats.bootstrap.inference import (
    acceleration,
    bca_intervals,
    bca_p_values,
    bca_quantities,
    bootstrap_p_values,
    normal_equivalent,
)
from alliancegov.stats.bootstrap.newton_steps import (
    MULTIPLIERS,
    LinearScores,
    NewtonStepsFailed,
    RowMultipliers,
    newton_step_bootstrap,
    newton_steps,
)
from alliancegov.stats.bootstrap.resampling import Resampler, resample_indices
from alliancegov.stats.bootstrap.results import (
    BootstrapResult,
    combine_results,
    part_replicates,
    percentile_intervals,
    result_frame,
    result_from_frames,
)
from alliancegov.stats.bootstrap.runs import CHUNKS_PER_WORKER, bootstrap_estimates

__all__ = [
    "BootstrapResult",
    "CHUNKS_PER_WORKER",
    "LinearScores",
    "MULTIPLIERS",
    "NewtonStepsFailed",
    "Resampler",
    "RowMultipliers",
    "acceleration",
    "bca_intervals",
    "bca_p_values",
    "bca_quantities",
    "bootstrap_estimates",
    "bootstrap_p_values",
    "combine_results",
    "newton_step_bootstrap",
    "newton_steps",
    "normal_equivalent",
    "part_replicates",
    "percentile_intervals",
    "resample_indices",
    "result_frame",
    "result_from_frames",
]

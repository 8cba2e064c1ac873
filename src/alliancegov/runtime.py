"""Process set-up shared by the pipeline's jobs (logging, BLAS threads)."""

from __future__ import annotations

import logging
from pathlib import Path


def start_job(log_path: str | Path) -> logging.Logger:
    """Log to ``log_path`` and pin BLAS to one thread.

    Parameters
    ----------
    log_path : str or Path
        The job's log file, overwritten; its parent folders are created.

    Returns
    -------
    logging.Logger
        The ``alliancegov`` logger; the root logger writes INFO and above to ``log_path`` and
        captures warnings.

    Notes
    -----
    On this project's 2-core machines two BLAS threads were measured slower than one, and
    Snakemake already runs jobs side by side. threadpoolctl limits the BLAS pools without the
    ``OMP_NUM_THREADS`` side effect of slowing pyarrow's readers.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=str(log_path), filemode="w", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", force=True)
    logging.captureWarnings(True)
    return logging.getLogger("alliancegov")

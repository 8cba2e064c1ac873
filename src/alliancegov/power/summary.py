"""Power per sample size and check from the replicates (rule ``power_summary``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.power.settings import ALL_CHECKS


def power_table(replicates: pd.DataFrame, level: float = 0.95, notes: dict[str, str] | None = None) -> pd.DataFrame:
    """Power per sample size and effect from the replicate rows (:func:`replicate`'s columns).

    Parameters
    ----------
    replicates : DataFrame
        Rows of :func:`~alliancegov.power.replicates.replicate`, every replicate and sample size.
    level : float, default=0.95
        Confidence level of the Clopper–Pearson intervals.
    notes : dict of str to str, optional
        The test of each table (:meth:`PowerSettings.note`), keyed by table.

    Returns
    -------
    DataFrame
        Columns: ``n, hypothesis, check, table, model, outcome, term, expected, replicates,
        detections, power`` (share of replicates detected, 0–1), ``mc_se`` (Monte Carlo SE,
        sqrt(p(1 − p)/R)), ``conf_low, conf_high`` (Clopper–Pearson interval at ``level``),
        ``failed`` (replicates without an estimate, counted as not detected), ``mean_estimate,
        mean_std_error, share_bootstrap_failed`` (means over the replicates with an estimate) and
        ``note`` (the test, from ``notes`` keyed by table). Rows by hypothesis, checks in register
        order (the joint row last), then by ``n``.
    """
    from scipy import stats

    keys = ["n", "hypothesis", "check", "table", "model", "outcome", "term", "expected"]
    frame = replicates.assign(detected=replicates["detected"].astype(bool),
                              failed=replicates["estimate"].isna() & (replicates["table"] != ALL_CHECKS))
    grouped = frame.groupby(keys, sort=False, dropna=False)
    table = grouped.agg(replicates=("replicate", "nunique"), detections=("detected", "sum"),
                        failed=("failed", "sum"), mean_estimate=("estimate", "mean"),
                        mean_std_error=("std_error", "mean"),
                        share_bootstrap_failed=("share_bootstrap_failed", "mean")).reset_index()
    R, x = table["replicates"].to_numpy(float), table["detections"].to_numpy(float)
    table["power"] = x / R
    table["mc_se"] = np.sqrt(table["power"] * (1 - table["power"]) / R)
    tail = (1 - level) / 2
    # Clopper–Pearson: beta quantiles, with the bounds 0 and 1 at no or all detections.
    table["conf_low"] = np.where(x > 0, stats.beta.ppf(tail, x, R - x + 1), 0.0)
    table["conf_high"] = np.where(x < R, stats.beta.ppf(1 - tail, x + 1, R - x), 1.0)
    table["note"] = table["table"].map(lambda name: (notes or {}).get(name, ""))
    order = ["n", *keys[1:], "replicates", "detections", "power", "mc_se", "conf_low", "conf_high", "failed",
             "mean_estimate", "mean_std_error", "share_bootstrap_failed", "note"]
    # Register order within a hypothesis (the order replicate() writes), the joint row last.
    position = {check: i for i, check in enumerate(dict.fromkeys(replicates["check"]))}
    table = table.assign(_order=table["check"].map(position))
    return table.sort_values(["hypothesis", "_order", "n"], kind="stable")[order].reset_index(drop=True)


def run(*, replicates: Sequence[str], truth: str, register: str, codebook: Sequence[str], outputs: dict[str, str],
        settings: dict) -> pd.DataFrame:
    """The power_summary rule: the power table from every chunk of replicates.

    Parameters
    ----------
    replicates : sequence of str
        The Parquet files of rule ``power_replicates``.
    truth : str
        The truth the replicates were simulated at (YAML), named in the table's notes.
    register : str
        The hypotheses register (YAML).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``table``: ``power.csv``.
    settings : dict
        The config's ``power``, ``choice``, ``performance`` and ``misalignment`` sections.

    Returns
    -------
    DataFrame
        The table written.
    """
    import logging
    from pathlib import Path

    import yaml

    from alliancegov.power.settings import load_settings
    from alliancegov.safe_output import write_csv

    power = load_settings(settings, register, codebook)
    rows = pd.concat([pd.read_parquet(path) for path in replicates], ignore_index=True)
    table = power_table(rows, notes=power.note(yaml.safe_load(Path(truth).read_text(encoding="utf-8"))))
    write_csv(table, outputs["table"])
    logging.getLogger("alliancegov").info(
        "\n%s", table[["n", "hypothesis", "check", "power", "conf_low", "conf_high"]].to_string(index=False))
    return table

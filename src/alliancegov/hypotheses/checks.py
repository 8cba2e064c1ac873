"""Each type of check of the register: its estimate, SE, interval, p-value, effect size and reference value.

The checks that read a model table are here; the checks computed on the analysis frame are in
:mod:`~alliancegov.hypotheses.frame_checks` (means, proportions, logits, exact tests) and
:mod:`~alliancegov.hypotheses.survival_checks` (Kaplan–Meier, Cox). Every check returns the keys of
:data:`RESULT_KEYS` it knows; ``inference`` says what its SE, interval and p-value are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

RESULT_KEYS = ("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high", "reference", "n",
               "n_clusters", "effect_measure", "effect", "effect_low", "effect_high", "inference", "note")
# what a coefficient check's estimate is, by the table it reads (a check's `effect` key overrides it)
TABLE_EFFECTS = {"choice_ame": "AME (probability points per unit)", "misalignment": "coefficient (index units)",
                 "panel_deepening": "difference of probabilities", "importance": "difference of R² shares"}
# keys of a check that configure its reading, not what it reads
READING_KEYS = ("test", "expected", "margin", "effect", "note", "label_fr", "label_en")


@dataclass(frozen=True)
class Inference:
    """How the checks computed on the analysis frame make their inference.

    Attributes
    ----------
    level : float
        Confidence level (1 − alpha).
    cluster : str or None
        The column of cluster labels (firms repeated across waves); None: independent rows.
    weights : str or None
        A column of frequency weights, honoured by every check computed on the frame.
    """

    level: float = 0.95
    cluster: str | None = "firm_key"
    weights: str | None = None

    def columns(self) -> list[str]:
        """The cluster and weight columns a check needs besides its own.

        Returns
        -------
        list of str
        """
        return [c for c in (self.cluster, self.weights) if c]

    def arrays(self, rows: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The cluster labels and frequency weights of ``rows``.

        Parameters
        ----------
        rows : DataFrame
            The rows a check uses.

        Returns
        -------
        groups, weights : ndarray of shape (n,) or None

        Raises
        ------
        ValueError
            If a row has no cluster label or no weight.
        """
        for column in self.columns():
            if rows[column].isna().any():
                raise ValueError(f"{int(rows[column].isna().sum())} rows have no {column}")
        return (None if self.cluster is None else rows[self.cluster].to_numpy(),
                None if self.weights is None else rows[self.weights].to_numpy(float))

    def describe(self, n_clusters: float, df: float | None, reference: str = "t") -> str:
        """What a check's SE, interval and p-value are, in words.

        Parameters
        ----------
        n_clusters : float
            G (NaN without clusters).
        df : float or None
            Degrees of freedom of a t reference; None for a normal one.
        reference : {"t", "z"}
            The reference distribution's name.

        Returns
        -------
        str
        """
        se = (f"SE clustered by {self.cluster} (G = {int(n_clusters)})" if self.cluster
              else "independent-rows SE")
        test = f"t({df:g})" if reference == "t" and df is not None else "z"
        weights = f"; frequency weights {self.weights}" if self.weights else ""
        return f"{se}; {test} test and interval{weights}"


def table_row(table: pd.DataFrame, where: dict) -> pd.Series:
    """The one row of a table matching every ``column: value`` of ``where``.

    Parameters
    ----------
    table : DataFrame
    where : dict
        Column → value (compared as text).

    Returns
    -------
    Series

    Raises
    ------
    ValueError
        If not exactly one row matches.
    """
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= table[column].astype(str).to_numpy() == str(value)
    if mask.sum() != 1:
        raise ValueError(f"{mask.sum()} rows match {where}; a check needs exactly one")
    return table[mask].iloc[0]


def _from_row(row: pd.Series) -> dict:
    keys = ("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high")
    return {key: float(row[key]) for key in keys if key in row.index and pd.notna(row[key])}


def _coefficient(tables: dict[str, pd.DataFrame], check: dict) -> dict:
    row = table_row(tables[check["table"]], check.get("where", {}))
    said = [str(row[c]) for c in ("test", "note") if c in row.index and pd.notna(row[c]) and str(row[c])]
    result = _from_row(row)
    return {**result, "reference": check.get("value", 0.0),
            "effect_measure": check.get("effect", TABLE_EFFECTS.get(check["table"], "estimate")),
            "effect": result["estimate"], "effect_low": result.get("conf_low", np.nan),
            "effect_high": result.get("conf_high", np.nan),
            "inference": f"as the {check['table']} table gives it" + (f": {said[0]}" if said else ""),
            "note": "; ".join(said[1:])}


def _largest_share(tables: dict[str, pd.DataFrame], check: dict) -> dict:
    importance = tables["importance"]
    shares = importance[importance["kind"] == "share"].set_index("group")["estimate"]
    largest = table_row(importance, {"kind": "largest", "group": check["group"]})
    result = _from_row(largest)
    return {**result, "reference": 0.0, "effect_measure": TABLE_EFFECTS["importance"], "effect": result["estimate"],
            "effect_low": result.get("conf_low", np.nan), "effect_high": result.get("conf_high", np.nan),
            "inference": "firm-cluster bootstrap of the importance table (its interval and one-sided p)",
            "note": (f"share of {check['group']} minus the largest other share (largest: {shares.idxmax()}); "
                     "one-sided bootstrap intersection-union test that it exceeds every other share")}


def evaluate_check(check: dict, tables: dict[str, pd.DataFrame], frame: pd.DataFrame,
                   inference: Inference) -> dict:
    """One check's estimate, SE, interval, p-value, effect size and reference value.

    Parameters
    ----------
    check : dict
        One check of the register (``test``, default ``coefficient``, and the keys of its type;
        see :mod:`alliancegov.hypotheses`).
    tables : dict of str to DataFrame
        The model tables a ``coefficient`` or ``largest_share`` check reads, by name.
    frame : DataFrame
        The analysis frame (one row per response; firms repeat across waves).
    inference : Inference
        Level, cluster column and frequency weights of the checks computed on the frame.

    Returns
    -------
    dict
        Some of :data:`RESULT_KEYS`: at least ``estimate, conf_low, conf_high, p_value``.

    Raises
    ------
    ValueError
        If the check type is unknown, or the rows a check selects in a table (by ``where``,
        ``term`` or ``level``) are not exactly one.
    KeyError
        If the check names a table, column or key that does not exist.
    """
    from alliancegov.hypotheses.frame_checks import FRAME_CHECKS
    from alliancegov.hypotheses.survival_checks import SURVIVAL_CHECKS

    kind = check.get("test", "coefficient")
    if kind == "coefficient":
        return _coefficient(tables, check)
    if kind == "largest_share":
        return _largest_share(tables, check)
    if kind in FRAME_CHECKS:
        return FRAME_CHECKS[kind](frame, check, inference)
    if kind in SURVIVAL_CHECKS:
        return SURVIVAL_CHECKS[kind](frame, check, inference)
    raise ValueError(f"unknown check type {kind!r}")


def describe(check: dict) -> str:
    """A short readable statement of what a check reads.

    Parameters
    ----------
    check : dict
        One check of the register.

    Returns
    -------
    str
        ``table: key=value, ...`` (the ``where`` filters) for a coefficient check, else
        ``type: key=value, ...`` over the check's keys other than :data:`READING_KEYS`.
    """
    kind = check.get("test", "coefficient")
    if kind == "coefficient":
        return f"{check['table']}: " + ", ".join(f"{k}={v}" for k, v in check.get("where", {}).items())
    details = {k: v for k, v in check.items() if k not in READING_KEYS}
    return f"{kind}: " + ", ".join(f"{k}={v}" for k, v in details.items())

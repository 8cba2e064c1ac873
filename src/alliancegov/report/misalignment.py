"""The misalignment tables of the report's Performance section: shown without their bookkeeping
columns, each with its note in the report's language."""

from __future__ import annotations

import pandas as pd

from alliancegov.report.text import MISALIGNMENT_TEXT

MISALIGNMENT_KEYS = ("misalignment", "misalignment_first_stage", "misalignment_switching",
                     "misalignment_counterfactual", "form_effects")
BOOKKEEPING = ("note", "n_ok", "share_failed", "outcome", "n_clusters", "n_trimmed")


def _numeric(table: pd.DataFrame) -> pd.DataFrame:
    """The columns read as text because of empty cells (``keep_default_na=False``) back to numbers."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype.kind in "biuf":
            continue
        values = pd.to_numeric(out[column].replace("", None), errors="coerce")
        if values.notna().sum() == (out[column].astype(str) != "").sum():
            out[column] = values
    return out


def misalignment_tables(shown: dict[str, pd.DataFrame], language: str, form: str = "governance_form"
                        ) -> dict[str, str]:
    """Drop the bookkeeping columns of the misalignment tables in ``shown`` and write their notes.

    Parameters
    ----------
    shown : dict of str to DataFrame
        The report's tables by key; those of :data:`MISALIGNMENT_KEYS` are replaced in place, their
        numbers as numbers and their ``form`` column named ``form`` (so that the codebook labels
        its answers).
    language : {"fr", "en"}
    form : str
        The governance-form question (the choice model's outcome).

    Returns
    -------
    dict of str to str
        The note under each of those tables, in ``language``, with its number of successful
        resamples (``n_ok``) or firms used and trimmed (``n``, ``n_trimmed``).
    """
    notes = {}
    for key in MISALIGNMENT_KEYS:
        if key not in shown:
            continue
        table = shown[key]
        first = table.iloc[0] if len(table) else {}
        fields = {name: int(first[name]) if name in table else 0 for name in ("n_ok", "n", "n_trimmed")}
        notes[key] = MISALIGNMENT_TEXT[language][f"note_{key}"].format(**fields)
        shown[key] = _numeric(table.drop(columns=[c for c in BOOKKEEPING if c in table])).rename(columns={"form": form})
    return notes

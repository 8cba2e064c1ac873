"""Item and respondent nonresponse: missing-value codes set to missing, each cell's kind of
nonresponse kept (answered, *ne sait pas*, *refus*, *non applicable*, blank) and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook

NONRESPONSE_KINDS = ("answered", "dont_know", "refused", "not_applicable", "blank")


def split_missing_codes(frame: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace missing-value codes by missing, keeping what kind of nonresponse each cell was.

    Parameters
    ----------
    frame : DataFrame
        One row per response, answers as ingested (missing-value codes included).
    codebook : Codebook
        The variables' roles, types and missing-value codes.

    Returns
    -------
    values : DataFrame
        A copy of ``frame`` with the missing-value codes of every substantive variable set to
        missing.
    kinds : DataFrame
        Same index; one int8 column per substantive variable (not meta or identifying) that
        ``frame`` has, the index in ``NONRESPONSE_KINDS`` of each cell (0 answered,
        1 ne sait pas, 2 refus, 3 non applicable, 4 blank).

    Notes
    -----
    A select_one or select_multiple answer is a missing-value code when it is the code's name
    (``dont_know``...); an answer of another type when it equals the code as a number. A cell
    already missing before is ``blank``.
    """
    out = frame.copy()
    kinds = {}
    for variable in codebook.variables["name"]:
        if variable not in out or codebook.variables.at[variable, "role"] in ("meta", "identifying"):
            continue
        column = out[variable]
        kind = np.where(column.isna().to_numpy(), NONRESPONSE_KINDS.index("blank"), 0).astype("int8")
        codes = codebook.missing_codes(variable)
        if codes:
            is_select = codebook.variables.at[variable, "type"] in ("select_one", "select_multiple")
            keys = {name: (name if is_select else float(code)) for code, name in codes.items()}
            for name, key in keys.items():
                kind[(column == key).fillna(False).to_numpy(bool)] = NONRESPONSE_KINDS.index(name)
            out[variable] = column.where(~column.isin(list(keys.values())))
        kinds[variable] = kind
    return out, pd.DataFrame(kinds, index=frame.index)


def item_nonresponse(kinds: pd.DataFrame) -> pd.DataFrame:
    """Per variable and kind of nonresponse: count and share of responses (``variable, kind, n, share``).

    Parameters
    ----------
    kinds : DataFrame
        :func:`split_missing_codes`'s kinds, one row per response.

    Returns
    -------
    DataFrame
        One row per variable × kind of nonresponse (``dont_know, refused, not_applicable,
        blank``; answered cells are not listed), variables in column order: ``variable, kind``,
        ``n`` (int) and ``share`` (``n`` over the number of responses; NaN when there is none).
    """
    rows = []
    for variable in kinds.columns:
        counts = np.bincount(kinds[variable].to_numpy(), minlength=len(NONRESPONSE_KINDS))
        for code, name in enumerate(NONRESPONSE_KINDS[1:], start=1):
            rows.append((variable, name, int(counts[code]), counts[code] / len(kinds) if len(kinds) else np.nan))
    return pd.DataFrame(rows, columns=["variable", "kind", "n", "share"])


def respondent_nonresponse(kinds: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Per response: items asked, and how many were ne sait pas, refus, non applicable or blank.

    Parameters
    ----------
    kinds : DataFrame
        :func:`split_missing_codes`'s kinds, one row per response.
    values : DataFrame
        The same responses in the same order, with ``firm_key`` and ``source_row``.

    Returns
    -------
    DataFrame
        One row per response: ``firm_key, source_row``, ``items`` (the number of substantive
        variables, the columns of ``kinds``), the counts ``dont_know, refused, not_applicable,
        blank`` and ``share_missing`` = (dont_know + refused + blank) / (items − not_applicable),
        NaN when no item applies.
    """
    table = pd.DataFrame({"firm_key": values["firm_key"].to_numpy(), "source_row": values["source_row"].to_numpy(),
                          "items": kinds.shape[1]})
    for code, name in enumerate(NONRESPONSE_KINDS[1:], start=1):
        table[name] = (kinds.to_numpy() == code).sum(axis=1)
    missing = table[["dont_know", "refused", "blank"]].sum(axis=1)
    table["share_missing"] = missing / (table["items"] - table["not_applicable"]).where(lambda d: d > 0)
    return table

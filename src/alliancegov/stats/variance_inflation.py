"""Variance inflation factors, generalised to terms of several columns (Fox & Monette 1992).

For a term j with columns J in a design with an intercept, and R the correlation matrix of all the
non-constant columns,

    GVIF_j = det(R_JJ) det(R_KK) / det(R),     K = the other columns,

which equals the textbook VIF = 1 / (1 - R²_j) for a one-column term and does not depend on how
a factor's dummies are coded. GVIF^(1/(2 df)) is comparable across terms of different degrees of
freedom (its square is compared with the usual VIF thresholds). Fox, J. & Monette, G. (1992),
*J. Am. Stat. Assoc.* 87:178–183; as R's ``car::vif``.

Nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

VIF_COLUMNS = ["term", "df", "gvif", "gvif_root", "criterion"]


def variance_inflation(design: pd.DataFrame, terms: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """(Generalised) variance inflation factor of every term of a design matrix.

    Parameters
    ----------
    design : DataFrame of shape (n, k)
        The design matrix; a column named ``Intercept`` (or any constant column) is the intercept
        and gets no row.
    terms : mapping of str to sequence of str, default=None
        Term name -> its columns (e.g. a factor's dummies); by default every non-constant column
        is its own term.

    Returns
    -------
    DataFrame
        One row per term, columns ``VIF_COLUMNS``: ``df`` (its columns), ``gvif`` (Fox & Monette;
        the VIF for a one-column term), ``gvif_root`` = GVIF^(1/(2 df)) and ``criterion`` =
        GVIF^(1/df) (the VIF when df = 1), the value to compare with a VIF threshold. NaN when
        the non-constant columns are collinear (a singular correlation matrix).

    Raises
    ------
    ValueError
        If a term names a column that is not in ``design`` or is constant, or two terms share a
        column.
    """
    values = design.astype(float)
    varying = [column for column in values.columns if values[column].std() > 0]
    if terms is None:
        terms = {column: [column] for column in varying}
    used = [column for columns in terms.values() for column in columns]
    unknown = [column for column in used if column not in varying]
    if unknown:
        raise ValueError(f"term columns missing from the design or constant: {unknown}")
    if len(set(used)) != len(used):
        raise ValueError("two terms share a column")
    position = {column: i for i, column in enumerate(used)}
    R = np.corrcoef(values[used].to_numpy(), rowvar=False).reshape(len(used), len(used))
    sign, logdet = np.linalg.slogdet(R)
    rows = []
    for term, columns in terms.items():
        index = [position[column] for column in columns]
        rest = [i for i in range(len(used)) if i not in index]
        df = len(index)
        if sign <= 0 or logdet < -30:
            gvif = np.nan
        else:
            log_gvif = np.linalg.slogdet(R[np.ix_(index, index)])[1] - logdet
            if rest:
                log_gvif += np.linalg.slogdet(R[np.ix_(rest, rest)])[1]
            gvif = float(np.exp(log_gvif))
        rows.append({"term": term, "df": df, "gvif": gvif, "gvif_root": gvif ** (1 / (2 * df)),
                     "criterion": gvif ** (1 / df)})
    return pd.DataFrame(rows, columns=VIF_COLUMNS)

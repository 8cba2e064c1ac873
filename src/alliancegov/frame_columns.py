"""Reading only the columns of the pooled analysis frame that a job uses.

The analysis frame (one row per analysed response, every codebook column, the scale scores and the
codes) is written once and read by many jobs, each of which uses a few of its columns. At 10^6
responses in 10 waves it is about 2 GB in memory, and reading it whole in every job made the process
tree peak above 7 GiB with two jobs side by side. A job asks instead for the columns its settings name
(formulas, expressions, outcome, weight, cluster and survey-design columns, the register's variables)
and the identifiers every stage may use; columns a name does not match are simply not read.

Reading more than needed costs memory only; reading less would change a result, so the names are
taken generously: every identifier in every string of the settings, matched against the file's columns.
Nothing here evaluates a string: a setting is only split into words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What identifies a response: every stage may group, cluster or order by them, whatever its settings say.
IDENTIFIERS = ("wave", "survey_year", "firm_key")
# A stage that adds columns to some rows of the analysis frame writes them with each row's position in it
# (0-based), so that a later job joins them to the analysis frame's other columns instead of both jobs
# carrying the whole frame (see :func:`read_joined`).
ROW_KEY = "analysis_row"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")   # literals (a factor's reference level), not column names
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def named_in(*settings) -> set[str]:
    """Every word of every string in some settings: the column names they may refer to.

    Parameters
    ----------
    *settings : dict, list, str or scalar
        Config sections (nested dicts and lists), a hypotheses register, or single strings. Dict keys
        count too (a derived variable's name, a variant's name, an importance group's name).

    Returns
    -------
    set of str
        The identifiers in them (quoted literals left out); a superset of the columns they use.
    """
    words: set[str] = set()
    pending = list(settings)
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            pending.extend(value)
        elif isinstance(value, str):
            words.update(_WORD.findall(_QUOTED.sub(" ", value)))
    return words


def file_columns(path: str) -> list[str]:
    """The columns of a Parquet file, in order, from its schema (no data read).

    Parameters
    ----------
    path : str
        The Parquet file.

    Returns
    -------
    list of str
        Its column names, as ``pandas.read_parquet`` would return them.
    """
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    index = set()
    if schema.pandas_metadata:   # a stored pandas index is not a column
        index = {name for name in schema.pandas_metadata.get("index_columns", []) if isinstance(name, str)}
    return [name for name in schema.names if name not in index]


def read_frame(path: str, names: Iterable[str]):
    """The columns of a Parquet frame that ``names`` and :data:`IDENTIFIERS` match, in the file's order.

    A name matches its column and the columns derived from it, ``name__*`` (an answer's code
    ``name__code``, a multiple choice's 0/1 columns and count), which the models use in its stead.

    Parameters
    ----------
    path : str
        The Parquet file (the analysis frame, or the performance stage's enriched frame).
    names : iterable of str
        The column names the job may use (e.g. :func:`named_in` of its settings, a scale's items);
        names that are not columns of the file are ignored.

    Returns
    -------
    DataFrame
        Shape (rows of the file, matched columns): the same columns, dtypes and order as a full read
        restricted to them.
    """
    import pandas as pd

    wanted = set(names) | set(IDENTIFIERS)
    return pd.read_parquet(path, columns=[name for name in file_columns(path)
                                          if name in wanted or name.split("__", 1)[0] in wanted])


def read_joined(added: str, analysis: str, names: Iterable[str]):
    """A stage's frame (the columns it read and added, on the rows it kept) joined to the analysis frame's
    columns that ``names`` match and the stage's frame lacks.

    Parameters
    ----------
    added : str
        Parquet file of the stage's frame, with :data:`ROW_KEY`: each row's position in ``analysis``
        (e.g. the performance stage's frame: the two-stage model's rows, the derived outcomes and the
        misalignment measures).
    analysis : str
        Parquet file of the analysis frame the stage started from.
    names : iterable of str
        The column names the job may use (see :func:`read_frame`).

    Returns
    -------
    DataFrame
        Shape (rows of ``added``, columns): the analysis frame's matched columns in its order (the
        stage's values where it has the column too), then the columns only the stage's frame has;
        :data:`ROW_KEY` left out. The same frame as a read of a stage's frame that carried every column.
    """
    import pandas as pd

    stage = pd.read_parquet(added)
    positions = stage.pop(ROW_KEY).to_numpy()
    joined = read_frame(analysis, names).take(positions).reset_index(drop=True)
    for column in stage.columns:   # a column both have keeps its place, with the stage's values
        joined[column] = stage[column]
    return joined


def with_scale_items(names: Iterable[str], codebook) -> set[str]:
    """Some names and the items of every codebook scale among them (for the jobs that read answers
    item by item: reliability, factor analyses, diverging bars).

    Parameters
    ----------
    names : iterable of str
        Column names, some of them scales.
    codebook : alliancegov.codebook.tables.Codebook
        The scales and their items.

    Returns
    -------
    set of str
        ``names`` and the item columns of the scales they name.
    """
    names = set(names)
    return names | {item for scale in names & set(codebook.scales.index) for item in codebook.items(scale)["name"]}

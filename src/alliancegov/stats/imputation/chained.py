"""Multiple imputation by chained equations: ``m`` completed copies of a data frame, one seeded
chain each (see the package docstring for the models and the seeding)."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.imputation.mice_data import KEEP_ROWS, chained_data_class


def impute_chained(frame: pd.DataFrame, columns: list[str], m: int, seed: int, *,
                   categorical: Sequence[str] = (), iterations: int = 10,
                   donors: int = 5) -> list[pd.DataFrame]:
    """``m`` completed copies of ``frame`` by chained equations.

    Parameters
    ----------
    frame : DataFrame
        The data, with missing cells. Columns outside ``columns`` are copied untouched.
    columns : list of str
        The variables of the imputation model: each one with missing values is imputed from all
        the others (include the analysis model's outcome and regressors).
    m : int
        Number of imputations (completed copies).
    seed : int
        Seed of ``numpy.random.SeedSequence``; one independent stream per imputation (see the
        package docstring).
    categorical : sequence of str, default ()
        A subset of ``columns`` imputed by a multinomial-logit draw and used as dummies; the
        other ``columns`` must be numeric and are imputed by predictive mean matching.
    iterations : int, default 10
        Cycles per chain, one chain per imputation.
    donors : int, default 5
        Candidate donors of predictive mean matching (R ``mice``'s default 5).

    Returns
    -------
    list of DataFrame
        ``m`` data frames with ``frame``'s index, columns and dtypes and all its rows; only the
        missing cells of ``columns`` differ from ``frame``.

    Raises
    ------
    ValueError
        For an entirely missing column (naming it), a non-numeric (or boolean) column not
        declared categorical, or bad arguments.
    """
    columns, categorical = _check_request(frame, columns, m, categorical, iterations, donors)
    targets = [c for c in columns if frame[c].isna().any()]
    if not targets:
        return [frame.copy() for _ in range(m)]
    work, levels = _working_frame(frame, columns, categorical)
    streams = np.random.SeedSequence(seed).spawn(m)
    completed = []
    for stream in streams:
        chain = _run_chain(work, levels, iterations, donors, stream)
        completed.append(_completed_copy(frame, columns, chain, levels))
    return completed


def _check_request(frame, columns, m, categorical, iterations, donors) -> tuple[list[str], set[str]]:
    """Validate the arguments; returns (columns as a list, categorical as a set)."""
    columns = list(columns)
    categorical = set(categorical)
    if not columns or len(set(columns)) != len(columns):
        raise ValueError("columns must be a non-empty list of distinct column names")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"columns not in frame: {absent}")
    if not categorical <= set(columns):
        raise ValueError(f"categorical columns not among columns: {sorted(categorical - set(columns))}")
    if len(frame) == 0:
        raise ValueError("frame has no rows")
    if int(m) != m or m < 1 or int(iterations) != iterations or iterations < 1 or donors < 1:
        raise ValueError("m, iterations and donors must be positive integers")
    for column in columns:
        if frame[column].isna().all():
            raise ValueError(f"column {column!r} is entirely missing: nothing to impute it from")
        series = frame[column]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if column not in categorical and not numeric:
            raise ValueError(f"column {column!r} is not numeric ({series.dtype}); "
                             "list it in categorical= to impute it as categories")
    return columns, categorical


def _observed_levels(series: pd.Series) -> list:
    """Categories observed in ``series``, in the dtype's order for ``category``, else sorted."""
    observed = pd.unique(series.dropna())
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(observed)
        return [level for level in series.dtype.categories if level in present]
    try:
        return sorted(observed.tolist())
    except TypeError:
        return list(observed)


def _working_frame(frame, columns, categorical) -> tuple[pd.DataFrame, dict[str, list]]:
    """Float frame for ``MICEData`` with safe names ``v0, v1, …`` and a RangeIndex.

    Categorical columns become float codes (NaN for missing) into their observed levels.
    Returns (work frame with the helper column ``keep_rows_``, {safe name: levels} for the
    categorical columns).
    """
    work, levels = {}, {}
    for position, column in enumerate(columns):
        name, series = f"v{position}", frame[column]
        if column in categorical:
            levels[name] = _observed_levels(series)
            codes = pd.Index(levels[name]).get_indexer(series.astype(object))
            work[name] = np.where(codes < 0, np.nan, codes).astype(float)
        else:
            work[name] = series.to_numpy(dtype=float, na_value=np.nan)
    work[KEEP_ROWS] = np.arange(len(frame), dtype=float)
    return pd.DataFrame(work), levels


def _completed_copy(frame, columns, chain: pd.DataFrame, levels) -> pd.DataFrame:
    """``frame`` with the missing cells of ``columns`` filled from the final ``chain`` state."""
    completed = frame.copy()
    for position, column in enumerate(columns):
        name = f"v{position}"
        missing = np.flatnonzero(frame[column].isna().to_numpy())
        if missing.size == 0:
            continue
        values = chain[name].to_numpy()[missing]
        if name in levels:
            values = pd.Series(levels[name], dtype=frame[column].dtype).to_numpy()[values.astype(int)]
        series = completed[column].copy()
        series.iloc[missing] = values
        completed[column] = series
    return completed


def _run_chain(work: pd.DataFrame, levels, iterations: int, donors: int,
               stream: np.random.SeedSequence) -> pd.DataFrame:
    """One MICE chain on ``work`` (see ``_working_frame``); returns its final completed state."""
    rng = np.random.default_rng(stream)
    legacy = not _micedata_takes_rng()
    context = seeded_global_numpy(int(stream.generate_state(1)[0])) if legacy else contextlib.nullcontext()
    with context:
        data = chained_data_class()(work, levels=levels, donors=donors, rng=rng)
        data.update_all(iterations)
    return data.data


def _micedata_takes_rng() -> bool:
    """True when statsmodels' ``MICEData`` draws from its own ``rng`` (statsmodels >= 0.15)."""
    from statsmodels.imputation.mice import MICEData

    return "rng" in inspect.signature(MICEData.__init__).parameters


@contextlib.contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """Seed numpy's legacy global RNG for the block and restore its previous state afterwards.

    A context manager: ``with seeded_global_numpy(seed): ...``.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.seed``.

    Yields
    ------
    None
        Control returns to the block with the global RNG seeded.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def impute_for_model(frame: pd.DataFrame, variables: list[str], m: int, seed: int, *,
                     iterations: int = 10) -> list[pd.DataFrame]:
    """``m`` completed copies of ``frame`` for a model on ``variables``, by :func:`impute_chained`.

    Non-numeric columns among ``variables`` (text, ``category``) are imputed as categorical, the
    numeric ones by predictive mean matching.

    Parameters
    ----------
    frame : DataFrame
        The data, with missing cells.
    variables : list of str
        The model's variables: the columns of the imputation model.
    m : int
        Number of imputations.
    seed : int
        Seed of the imputations.
    iterations : int, default 10
        Cycles per chain.

    Returns
    -------
    list of DataFrame
        ``m`` completed copies of ``frame``, as :func:`impute_chained`.

    Raises
    ------
    ValueError
        As :func:`impute_chained`; a boolean column without missing values counts as numeric for
        pandas but not for :func:`impute_chained`, so it is rejected.
    """
    categorical = [v for v in variables if not pd.api.types.is_numeric_dtype(frame[v])]
    return impute_chained(frame, variables, m, seed, categorical=categorical, iterations=iterations)

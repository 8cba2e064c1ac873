"""Why a model cannot be fitted, in one sentence that names the variable and the wave.

The model stages (choice, waves, performance, misalignment) run these checks on the rows they are
about to fit, so that a survey that cannot support a model stops with a sentence such as "The
choice model of wave w2025 cannot be fitted: trust is missing for every firm of wave w2025."
rather than with a numerical library's "cannot reshape array of size 0", "information matrix is
singular" or a patsy traceback; and so that nothing is silently dropped on the way (a factor whose
one level leaves no dummy, a wave whose firms all lack a regressor). The linear algebra that finds
collinear columns is generic and lives in :mod:`alliancegov.stats.collinearity`; the wording is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.collinearity import LinearDependency, linear_dependencies

INTERCEPT = "Intercept"   # patsy's name of the column of ones


# Singular values this far below the largest make a likelihood's information numerically singular
# (its condition number, their squared ratio, near 1/eps): "nearly collinear" after a failed fit.
NEARLY_COLLINEAR = 1e-7


class ModelSpecificationError(ValueError):
    """A model that cannot be estimated as specified on the rows it is given.

    Its message is one sentence naming the model, the variable or design columns to blame and,
    where one is, the wave.
    """


def cannot_fit(model: str, reason: str) -> ModelSpecificationError:
    """The error saying that ``model`` cannot be fitted, and why.

    Parameters
    ----------
    model : str
        The model as a reader knows it, e.g. ``the choice model of wave w2025``.
    reason : str
        The rest of the sentence, without a final full stop.

    Returns
    -------
    ModelSpecificationError
        Message ``"<Model> cannot be fitted: <reason>."``.
    """
    return ModelSpecificationError(f"{model[:1].upper()}{model[1:]} cannot be fitted: {reason}.")


def listing(names: Iterable[str]) -> str:
    """Names joined as in a sentence: ``a``, ``a and b``, ``a, b and c``.

    Parameters
    ----------
    names : iterable of str
        The names, in order.

    Returns
    -------
    str
    """
    names = [str(name) for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _are(names: Sequence[str]) -> str:
    return "is" if len(names) == 1 else "are"


def _value(value: object) -> str:
    return f"{value:g}" if isinstance(value, float | np.floating) else str(value)


def _count(n: float) -> str:
    return f"{n:g}" if isinstance(n, float | np.floating) else str(n)


def complete_rows(data: pd.DataFrame, variables: Sequence[str], model: str, *, wave: str = "wave") -> pd.DataFrame:
    """The rows of ``data`` complete on ``variables``, once no variable or wave is lost entirely.

    Parameters
    ----------
    data : DataFrame
        The frame the model is given.
    variables : sequence of str
        Every column the model uses (outcome, regressors, weights, clusters).
    model : str
        The model's name in messages.
    wave : str, default="wave"
        The column of survey waves; when ``data`` holds several, a wave none of whose firms
        could be used is an error rather than a silent loss.

    Returns
    -------
    DataFrame
        The complete rows, ``data``'s index kept.

    Raises
    ------
    ModelSpecificationError
        If a variable is missing for every firm, or for every firm of one wave of several, or no
        firm (of some wave) has every variable.
    """
    variables = list(dict.fromkeys(variables))
    present = data[variables].notna()
    labels = data[wave] if wave in data.columns else pd.Series(np.nan, index=data.index)
    waves = list(pd.unique(labels.dropna()))
    scope = f" of wave {waves[0]}" if len(waves) == 1 else ""
    absent = [v for v in variables if not present[v].any()]
    if absent:
        raise cannot_fit(model, f"{listing(absent)} {_are(absent)} missing for every firm{scope}")
    complete = present.all(axis=1)
    if len(waves) > 1:
        # A wave whose firms all lack one variable would drop out of a pooled model without a word.
        keys = labels.to_numpy(dtype=object)
        answered = present.groupby(keys).any()
        used = complete.groupby(keys).any()
        for name in waves:
            lost = [v for v in variables if not answered.at[name, v]]
            if lost:
                raise cannot_fit(model, f"{listing(lost)} {_are(lost)} missing for every firm of wave {name}, "
                                        "so that wave would silently drop out of the model")
            if not used[name]:
                raise cannot_fit(model, f"no firm of wave {name} has every variable of the model "
                                        f"({listing(variables)}), so that wave would silently drop out of it")
    if not complete.any():
        raise cannot_fit(model, f"no firm{scope} has every variable of the model ({listing(variables)})")
    return data[complete]


def check_outcome(values: pd.Series, outcome: str, model: str) -> None:
    """Stop unless the outcome takes at least two values among the rows used.

    Parameters
    ----------
    values : Series
        The outcome of the rows used (no missing values).
    outcome : str
        Its name.
    model : str
        The model's name in messages.

    Raises
    ------
    ModelSpecificationError
        If every row has the same outcome.
    """
    levels = pd.unique(values)
    if len(levels) < 2:
        raise cannot_fit(model, f"all {len(values)} firms used have the same {outcome} ({_value(levels[0])}), "
                                "so there is no other outcome to compare it with")


def check_varying(rows: pd.DataFrame, variables: Sequence[str], model: str) -> None:
    """Stop if a regressor takes a single value among the rows used.

    A text factor with one level would otherwise leave no dummy and vanish from the model, a
    ``Treatment`` reference that does not occur would stop patsy, and a constant number is
    collinear with the intercept.

    Parameters
    ----------
    rows : DataFrame
        The rows used.
    variables : sequence of str
        The regressors' variables (those a formula uses).
    model : str
        The model's name in messages.

    Raises
    ------
    ModelSpecificationError
        Naming the first such variable and its value.
    """
    for variable in dict.fromkeys(variables):
        values = pd.unique(rows[variable])
        if len(values) == 1:
            raise cannot_fit(model, f"{variable} takes the single value {_value(values[0])} among the {len(rows)} "
                                    "firms used, so its effect cannot be estimated")


def check_parameters(n: float, columns: Sequence[str], model: str, *, outcome: str | None = None,
                     counts: dict[str, float] | None = None) -> None:
    """Stop when there are no more firms than parameters, or an outcome has fewer than an equation's.

    Parameters
    ----------
    n : float
        Firms used (the sum of frequency weights, if any).
    columns : sequence of str
        The design's columns: the parameters of one equation.
    model : str
        The model's name in messages.
    outcome : str, optional
        The outcome's name, for a model with one equation per outcome but the base.
    counts : dict of str to float, optional
        Firms per outcome (base included) of such a model.

    Raises
    ------
    ModelSpecificationError
        If ``n`` is at most the number of parameters, or an outcome counts fewer firms than
        ``len(columns)``.
    """
    k = len(columns)
    equations = max(len(counts) - 1, 1) if counts else 1
    if n <= k * equations:
        each = f" ({k} in each of {equations} equations)" if equations > 1 else ""
        raise cannot_fit(model, f"{_count(n)} firms are used for its {k * equations} parameters{each}, "
                                "and it needs more firms than parameters")
    rare = [(count, level) for level, count in (counts or {}).items() if count < k]
    if rare:
        count, level = min(rare)
        raise cannot_fit(model, f"only {_count(count)} of the {_count(n)} firms used have {outcome} {level}, fewer "
                                f"than the {k} parameters of each equation; merge it with another answer or "
                                "simplify the formula")


def collinearity_reason(dependencies: Sequence[LinearDependency], n: int, *, nearly: bool = False) -> str:
    """The reason part of the sentence for a rank-deficient design.

    Parameters
    ----------
    dependencies : sequence of LinearDependency
        :func:`~alliancegov.stats.collinearity.linear_dependencies`' relations (at least one).
    n : int
        Firms used.
    nearly : bool, default=False
        Whether the relations hold only to within rounding.

    Returns
    -------
    str
        The first relation in words (a column of zeros, a regressor that does not vary, or the
        collinear columns with their equation), and how many more there are.
    """
    first = dependencies[0]
    columns = first.columns
    others = sorted({column for dependency in dependencies[1:] for column in dependency.columns})
    more = (f"; {len(dependencies) - 1} more linear relation{'s' if len(dependencies) > 2 else ''} among "
            f"{listing(others)}") if others else ""
    if len(columns) == 1:
        return f"{columns[0]} is 0 for all {n} firms used" + (f" ({more[2:]})" if more else "")
    if len(columns) == 2 and INTERCEPT in columns:
        other = columns[0] if columns[1] == INTERCEPT else columns[1]
        return f"{other} does not vary among the {n} firms used ({first.equation(constant=INTERCEPT)}{more})"
    return (f"{listing(columns)} are {'nearly ' if nearly else ''}collinear ({first.equation(constant=INTERCEPT)} "
            f"for the {n} firms used{more}), so their effects cannot be told apart; leave one of them out")


def check_rank(X: pd.DataFrame, model: str) -> None:
    """Stop if the design's columns are linearly dependent, naming them.

    Parameters
    ----------
    X : DataFrame
        The design matrix, columns named as in the tables.
    model : str
        The model's name in messages.

    Raises
    ------
    ModelSpecificationError
        For example "... trust and trust_copy are collinear (trust_copy = 2·trust for the 90
        firms used), so their effects cannot be told apart; leave one of them out."
    """
    dependencies = linear_dependencies(X.to_numpy(dtype=float), [str(c) for c in X.columns])
    if dependencies:
        raise cannot_fit(model, collinearity_reason(dependencies, len(X)))


def singular_information(X: pd.DataFrame, model: str) -> ModelSpecificationError:
    """The error for a likelihood whose information matrix proved singular in the fit.

    Parameters
    ----------
    X : DataFrame
        The design matrix the fit used (it passed :func:`check_rank`).
    model : str
        The model's name in messages.

    Returns
    -------
    ModelSpecificationError
        Naming the columns that are collinear to within rounding, or else saying that the
        regressors predict an outcome perfectly (separation), the other cause.
    """
    dependencies = linear_dependencies(X.to_numpy(dtype=float), [str(c) for c in X.columns], rtol=NEARLY_COLLINEAR)
    if dependencies:
        return cannot_fit(model, collinearity_reason(dependencies, len(X), nearly=True))
    return cannot_fit(model, "its information matrix is singular although no regressors are collinear, which "
                             "happens when they predict an outcome perfectly (separation)")


def not_computed(error: Exception) -> str:
    """The note of a test or check that could not be computed, as a sentence.

    Parameters
    ----------
    error : Exception
        Why not.

    Returns
    -------
    str
        ``not computed:`` then the message of a :class:`ModelSpecificationError`, a plain
        statement for a singular matrix, or the error's type and message otherwise.
    """
    if isinstance(error, ModelSpecificationError):
        return f"not computed: {error}"
    if isinstance(error, np.linalg.LinAlgError):
        return f"not computed: a matrix it needs is singular ({error})"
    return f"not computed: {type(error).__name__}: {error}"

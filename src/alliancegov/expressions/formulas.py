"""Formulas: patsy's own parser splits them, the checker checks every Python factor, and patsy builds
the design matrices from the very description that was checked, in an environment that holds only the
grammar's functions."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from alliancegov.expressions.checker import _allowed, _Checker, _in_order, _require_columns
from alliancegov.expressions.errors import ExpressionError
from alliancegov.expressions.grammar import CONTRASTS, MAX_DEPTH, MAX_TERMS, _implementations
from alliancegov.expressions.reading import _Locator, _read, _Source

__all__ = ["check_formula", "formula_variables", "design_matrix", "design_matrices"]


_FORMULA_ATOMS = ("PYTHON_EXPR", "ZERO", "ONE", "NUMBER")


def _patsy_error(src: _Source, exc) -> ExpressionError:
    reason = f"patsy cannot read this formula ({exc.message})"
    origin = exc.origin
    if origin is None:
        return src.error(0, src.code[:1], reason)
    return src.error(origin.start, origin.code[origin.start:origin.end], reason)


def _checked_formula(formula: str, allowed: Iterable[str], source: str):
    """The checked :class:`patsy.desc.ModelDesc` of ``formula`` and the variables with their offsets."""
    from patsy import PatsyError
    from patsy.desc import ModelDesc
    from patsy.eval import EvalFactor
    from patsy.parse_formula import parse_formula

    src = _read(formula, source, "the formula")
    try:
        tree = parse_formula(src.code)
    except PatsyError as exc:
        raise _patsy_error(src, exc) from None
    _limit_formula_depth(src, tree)
    allowed = _allowed(allowed)
    names: list[tuple[int, str]] = []
    checked: set[str] = set()
    _check_terms(src, tree, allowed, names, checked)
    try:
        description = ModelDesc.from_formula(tree)
    except PatsyError as exc:
        raise _patsy_error(src, exc) from None
    for term in description.lhs_termlist + description.rhs_termlist:
        for factor in term.factors:
            # Defence in depth: patsy must evaluate exactly the factors that were checked.
            if not (isinstance(factor, EvalFactor) and factor.code in checked):
                raise src.error(0, src.code[:1], f"patsy produced a factor that was not checked: {factor!r}")
    return description, names


def _limit_formula_depth(src: _Source, tree) -> None:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            origin = node.origin
            raise src.error(origin.start, origin.code[origin.start:origin.end],
                            f"the formula is nested more than {MAX_DEPTH} levels deep")
        stack.extend((arg, depth + 1) for arg in node.args)


def _check_terms(src: _Source, node, allowed: frozenset[str], names: list, checked: set) -> int:
    """Check a patsy parse tree; return an upper bound on the number of terms it expands to."""
    from patsy.eval import EvalFactor

    if node.type in _FORMULA_ATOMS:
        if node.type == "PYTHON_EXPR":
            origin = node.origin
            locator = _Locator(src, origin.start, origin.end)
            checker = _Checker(locator, allowed, formula=True)
            tree = checker.run()
            # patsy evaluates its own re-spaced copy of the text: it must parse to the same tree.
            try:
                same = ast.dump(ast.parse(node.token.extra, mode="eval")) == ast.dump(tree)
            except SyntaxError:
                same = False
            if not same:
                raise src.error(origin.start, locator.code, "patsy would evaluate a different text")
            names.extend(checker.names)
            checked.add(EvalFactor(node.token.extra).code)
        return 1
    sizes = [_check_terms(src, arg, allowed, names, checked) for arg in node.args]
    if node.type == ":" and len(sizes) == 2:
        total = sizes[0] * sizes[1]
    elif node.type == "*" and len(sizes) == 2:
        total = sizes[0] + sizes[1] + sizes[0] * sizes[1]
    elif node.type == "**" and len(sizes) == 2:
        # patsy raises to at most as many terms as there are: (a + b) ** 100 is (a + b) ** 2.
        extra = node.args[1].token.extra if node.args[1].type in ("ONE", "NUMBER") else "1"
        power = min(int(extra) if extra.isdigit() else 1, sizes[0])
        total, level = 0, 1
        for _ in range(power):
            level *= sizes[0]
            total += level
            if total > MAX_TERMS:
                break
    else:
        total = sum(sizes)
    if total > MAX_TERMS:
        origin = node.token.origin
        raise src.error(origin.start, origin.code[origin.start:origin.end],
                        f"the formula expands to more than {MAX_TERMS} terms")
    return total


def check_formula(formula: str, allowed: Iterable[str], source: str = "formula") -> list[str]:
    """Check a patsy formula against the grammar, without evaluating anything.

    patsy's own parser splits the formula into operators (``~ + - * / : **``, ``0``, ``1``, ``-1``)
    and Python factors; every factor is checked with the expression grammar plus the formula
    functions (``C``, ``I``, ``center``, ``standardize``, ``scale``, and ``Treatment``, ``Sum``,
    ``Poly`` as C()'s contrast).

    Parameters
    ----------
    formula : str
        A right-hand side (``trust + C(sector, Treatment('services'))``) or a whole ``y ~ x`` formula.
    allowed : iterable of str
        The variable names it may use.
    source : str, default="formula"
        Where the string comes from, for the error message, e.g. ``config/config.yaml: choice.formula``.

    Returns
    -------
    variables : list of str
        The variables it uses, each once, in order of first appearance.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar or patsy cannot parse it.
    """
    _, names = _checked_formula(formula, allowed, source)
    return _in_order(names)


def formula_variables(formula: str, columns: Iterable[str], source: str = "formula") -> list[str]:
    """The data columns a formula uses, in order of appearance, read from its checked syntax tree.

    Replaces the regular expression of ``alliancegov.stats.formulas.formula_variables``: function
    names, keywords and the text in quotes are never taken for columns.

    Parameters
    ----------
    formula : str
        A patsy formula.
    columns : iterable of str
        The columns of the data (every name the formula may use).
    source : str, default="formula"
        Where the string comes from, for the error message.

    Returns
    -------
    variables : list of str
        The columns it uses, each once, in order of first appearance.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar, including a name that is not a column.
    """
    return check_formula(formula, columns, source)


def _environment():
    """The only namespace patsy evaluates checked factors in.

    Not the security gate: patsy appends its own builtins (``bs``, ``Q``, ...) and Python's
    ``eval`` reaches every builtin from an empty globals dict. The check of each factor is the gate;
    this keeps the caller's variables out and gives the formula functions their numpy meaning.
    """
    from patsy import EvalEnvironment, builtins

    namespace = {name: getattr(builtins, name) for name in ("C", "I", "center", "standardize", "scale", *CONTRASTS)}
    namespace.update(_implementations())
    return EvalEnvironment([namespace])


def _design_input(formula: str, data, allowed: Iterable[str] | None, source: str):
    """The checked formula and the columns it reads, text columns as categoricals.

    patsy reads a text column one Python value at a time, twice (about 4 s a million rows), and a
    categorical's codes at once; the levels come out in the same sorted order.
    """
    import pandas as pd

    description, names = _checked_formula(formula, data.columns if allowed is None else allowed, source)
    _require_columns(_Source(formula, source), names, data.columns)
    columns = data.loc[:, list(dict.fromkeys(name for _, name in names))]
    for name in columns.columns:
        if isinstance(columns[name].dtype, pd.StringDtype):
            columns[name] = columns[name].astype("category")
    return description, columns


def design_matrix(formula: str, data, allowed: Iterable[str] | None = None, source: str = "formula", **options):
    """Check a right-hand-side formula, then build its design matrix with patsy.

    Parameters
    ----------
    formula : str
        A right-hand side, e.g. ``asset_specificity + trust + C(sector, Treatment('services'))``.
    data : pandas.DataFrame of shape (n_rows, n_columns)
        The data; variables are its columns.
    allowed : iterable of str, default=None
        The variable names the formula may use; None allows every column of ``data``.
    source : str, default="formula"
        Where the string comes from, for error messages.
    **options
        Passed to :func:`patsy.dmatrix` (``NA_action``, ``return_type``; ``return_type`` defaults to
        ``"dataframe"`` here). ``eval_env`` is fixed by this function.

    Returns
    -------
    matrix : pandas.DataFrame of shape (n_used_rows, n_design_columns)
        The design matrix (or what ``return_type`` asks for); rows with missing values are dropped
        unless ``NA_action`` says otherwise.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar or uses a variable missing from ``data``.
    patsy.PatsyError
        If patsy cannot build the matrix from these data (e.g. a reference level that does not occur).
    """
    import patsy

    options.setdefault("return_type", "dataframe")
    description, columns = _design_input(formula, data, allowed, source)
    return patsy.dmatrix(description, columns, eval_env=_environment(), **options)


def design_matrices(formula: str, data, allowed: Iterable[str] | None = None, source: str = "formula",
                    **options):
    """Check a ``y ~ x`` formula, then build its outcome and design matrices with patsy.

    Parameters
    ----------
    formula : str
        A whole formula, e.g. ``performance_index ~ trust + C(sector, Treatment('services'))``.
    data : pandas.DataFrame of shape (n_rows, n_columns)
        The data; variables are its columns.
    allowed : iterable of str, default=None
        The variable names the formula may use; None allows every column of ``data``.
    source : str, default="formula"
        Where the string comes from, for error messages.
    **options
        Passed to :func:`patsy.dmatrices`, as for :func:`design_matrix`.

    Returns
    -------
    outcome : pandas.DataFrame of shape (n_used_rows, n_outcome_columns)
        The left-hand side.
    design : pandas.DataFrame of shape (n_used_rows, n_design_columns)
        The right-hand side.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar or uses a variable missing from ``data``.
    patsy.PatsyError
        If patsy cannot build the matrices (e.g. the formula has no left-hand side).
    """
    import patsy

    options.setdefault("return_type", "dataframe")
    description, columns = _design_input(formula, data, allowed, source)
    return patsy.dmatrices(description, columns, eval_env=_environment(), **options)

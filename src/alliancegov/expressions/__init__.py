"""The project's one checked grammar for the expressions and formulas written in its data files.

Configuration, codebook, crosswalk and hypotheses-register files are edited in spreadsheets and sent
between co-authors, so opening a colleague's project must never run their code. Two kinds of strings
in them compute something:

* **expressions** (derived variables, yes/no outcomes, event and censoring times, the codebook's
  ``relevant`` conditions), which used to go to ``DataFrame.eval``/``query``;
* **formulas** (patsy right-hand sides such as ``trust + C(sector, Treatment('services'))``), whose
  terms patsy evaluates with Python's ``eval`` and every builtin in reach.

Each string is parsed with :mod:`ast` and accepted only if every node is on an allow-list: names the
caller declares (codebook columns, derived variables), literals, arithmetic, comparisons, boolean
operators, ``in`` a literal list, and a closed list of functions. Expressions are then evaluated by
walking the checked tree over pandas Series (no ``eval``, no pandas ``eval``); formulas are split by
patsy's own parser, every Python factor is checked with the same allow-list, and only then does patsy
build the design matrix, from the very :class:`patsy.desc.ModelDesc` that was checked. The accepted
grammar is documented for users in ``docs/expressions.md``.

The package's rooms, each importing only those before it:

* ``errors``: :class:`ExpressionError`, which shows the string with a caret under the offending token;
* ``grammar``: what is allowed: the limits, the functions and their arguments, the operators, literals;
* ``reading``: a string as the checker reads it: length, control and invisible characters, tokens
  (``@``, comments, unclosed strings), and each parsed node's position in characters;
* ``checker``: the allow-list walk over the syntax tree, shared by expressions and formula factors
  (look-alike names, ambiguous precedence, function signatures);
* ``evaluation``: :func:`check_expression`, and :func:`evaluate`, which computes a checked expression;
* ``formulas``: :func:`check_formula`, :func:`formula_variables`, :func:`design_matrix` and
  :func:`design_matrices`, with patsy's parser and a clean evaluation environment.

:func:`check_expression` needs the standard library only. :func:`check_formula` imports patsy when it is
called, to split the formula with patsy's own parser, and patsy imports numpy and pandas; no module here
imports numpy, pandas or patsy when it is itself imported.

Generic: nothing here knows about the survey.
"""

from alliancegov.expressions.errors import ExpressionError
from alliancegov.expressions.evaluation import check_expression, evaluate
from alliancegov.expressions.formulas import check_formula, design_matrices, design_matrix, formula_variables
from alliancegov.expressions.grammar import (
    CONTRASTS,
    EXPRESSION_FUNCTIONS,
    FORMULA_FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_TERMS,
)

__all__ = ["ExpressionError", "check_expression", "evaluate", "check_formula", "formula_variables",
           "design_matrix", "design_matrices", "EXPRESSION_FUNCTIONS", "FORMULA_FUNCTIONS", "CONTRASTS",
           "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "MAX_TERMS"]

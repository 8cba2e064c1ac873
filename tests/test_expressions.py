"""The checked grammar (alliancegov.expressions): every expression and formula of the project's configurations
is accepted and computes what pandas and patsy compute; hostile strings are refused naming their token and
column, and never run.

Each hostile payload would create the file MARKER in the test's working directory; the control tests show
that the live ones do create it when handed to patsy, pandas or Python's eval without the grammar.
"""

from __future__ import annotations

import contextlib
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import patsy
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancegov import expressions
from alliancegov.expressions import (
    ExpressionError,
    check_expression,
    check_formula,
    design_matrices,
    design_matrix,
    evaluate,
    formula_variables,
)
from alliancegov.simulate.population import simulate_waves
from tests.conftest import ROOT

ANES = ROOT / "examples" / "anes96"
PROJECTS = {"alliancegov": ROOT, "anes96": ANES}
SOURCE = "config/test.yaml: section.key"
MARKER = "MARKER"
PAYLOAD = "__import__('pathlib').Path('MARKER').touch()"
NOT_CODE = {"claim_fr", "claim_en", "label_fr", "label_en", "title", "fr", "en", "term"}   # prose, never evaluated
CODE_LIKE = re.compile(r"[()=<>!]|\s[-+*/:]\s")


def regex_formula_variables(formula: str, columns) -> list[str]:
    """What ``formula_variables`` replaced: every identifier of the text that is a column, in order
    (it also picks names out of strings, and misses nothing the AST finds on the project's strings)."""
    return list(dict.fromkeys(name for name in re.findall(r"[A-Za-z_]\w*", formula) if name in set(columns)))


# ---- the project's own strings ------------------------------------------------------------------

@dataclass(frozen=True)
class Written:
    project: str
    kind: str      # "expression" or "formula"
    source: str
    text: str      # as evaluated (an importance group as patsy gets it: "fragment - 1")
    raw: str       # as written in the file


def project_strings(name: str, project: Path) -> list[Written]:
    """Every expression and formula of a project's configuration, hypotheses register and codebook."""
    found: list[Written] = []

    def add(kind, source, raw, text=None):
        found.append(Written(name, kind, source, raw if text is None else text, raw))

    config = yaml.safe_load((project / "config" / "config.yaml").read_text(encoding="utf-8"))
    where = "config/config.yaml"
    choice, performance = config.get("choice", {}), config.get("performance", {})
    add("formula", f"{where}: choice.formula", choice["formula"])
    for variant, formula in choice.get("variants", {}).items():
        add("formula", f"{where}: choice.variants.{variant}", formula)
    if "binary_outcome" in choice:
        add("expression", f"{where}: choice.binary_outcome", choice["binary_outcome"])
    for variable, expression in performance.get("derived", {}).items():
        add("expression", f"{where}: performance.derived.{variable}", expression)
    for key in ("formula", "interaction"):
        if key in performance:
            add("formula", f"{where}: performance.{key}", performance[key])
    if "controls" in config.get("misalignment", {}):
        add("formula", f"{where}: misalignment.controls", config["misalignment"]["controls"])
    if "switching" in config.get("misalignment", {}):
        add("formula", f"{where}: misalignment.switching.formula", config["misalignment"]["switching"]["formula"])
    for group, fragment in config.get("importance", {}).get("groups", {}).items():
        add("formula", f"{where}: importance.groups.{group}", fragment, f"{fragment} - 1")

    register = yaml.safe_load((project / config["hypotheses"]).read_text(encoding="utf-8"))
    where = config["hypotheses"]
    for key in ("event", "censor_time"):
        if key in register.get("time_to_event", {}):
            add("expression", f"{where}: time_to_event.{key}", register["time_to_event"][key])
    for hypothesis in register["hypotheses"]:
        for number, check in enumerate(hypothesis["checks"], start=1):
            for key, kind in (("expression", "expression"), ("subset", "expression"), ("exposure", "expression"),
                              ("formula", "formula")):
                if key in check:
                    add(kind, f"{where}: {hypothesis['id']} check {number} {key}", check[key])

    variables = pd.read_csv(project / "config" / "codebook" / "variables.csv", dtype=str, keep_default_na=False)
    for row, condition in enumerate(variables.get("relevant", pd.Series(dtype=str)), start=2):
        if condition.strip():
            add("expression", f"config/codebook/variables.csv row {row}, column relevant", condition)
    return found


def string_leaves(value, key=None):
    if isinstance(value, dict):
        for child_key, child in value.items():
            yield from string_leaves(child, child_key)
    elif isinstance(value, list):
        for child in value:
            yield from string_leaves(child, key)
    elif isinstance(value, str):
        yield key, value


WRITTEN = [item for name, project in PROJECTS.items() for item in project_strings(name, project)]
EXPRESSIONS = [item for item in WRITTEN if item.kind == "expression"]
FORMULAS = [item for item in WRITTEN if item.kind == "formula"]


def declared_names(project: Path) -> set[str]:
    """What a config loader would allow: codebook variables, scales, the columns the cleaning and construct
    stages add (``__code``, ``__n``, ``survey_year``), declared derived variables and the misalignment terms."""
    codebook = project / "config" / "codebook"
    variables = pd.read_csv(codebook / "variables.csv", dtype=str, keep_default_na=False)["name"]
    scales = pd.read_csv(codebook / "scales.csv", dtype=str, keep_default_na=False)["scale"]
    config = yaml.safe_load((project / "config" / "config.yaml").read_text(encoding="utf-8"))
    derived = config.get("performance", {}).get("derived", {})
    return ({*variables, *scales, *derived, "survey_year", "misfit", "misaligned"}
            | {f"{v}{suffix}" for v in variables for suffix in ("__code", "__n")})


@pytest.fixture(scope="module")
def frame(codebook) -> pd.DataFrame:
    """Three simulated waves as the models see them, with missing answers and zero denominators."""
    years = [2024, 2025, 2026]
    waves = simulate_waves(80, years, seed=11, codebook=codebook)
    data = pd.concat([wave.assign(survey_year=year) for wave, year in zip(waves, years)], ignore_index=True)
    data["distribution_channels__n"] = data["distribution_channels"].str.split().str.len().astype(float)
    for variable in ("revenue_trend", "serve_other_partner"):
        data[f"{variable}__code"] = pd.Series(pd.factorize(data[variable])[0], dtype=float)
    data["misfit"] = data["true_misfit"]
    data["misaligned"] = data["true_misaligned"].astype(float)
    data["performance_index"] = data["true_performance_index"]
    rng = np.random.default_rng(3)
    for column in ("governance_form", "equity_stake", "new_legal_entity", "control_orientation", "control_direction",
                   "employees_now", "employees_start", "floor_area_now", "floor_area_start", "relationship_start_year",
                   "distribution_channels__n", "sector", "technology_level", "target_market", "asset_specificity",
                   "environmental_uncertainty", "behavioural_uncertainty", "trust", "knowledge_tacitness",
                   "complementarity_motive", "scale_motive", "partner_distance", "misfit", "meeting_frequency",
                   "revenue_share_partner", "eu1"):
        data.loc[rng.random(len(data)) < 0.05, column] = np.nan
    data["alliance_age"] = data["survey_year"] - data["relationship_start_year"]   # derived in the config
    data.loc[[0, 1], "employees_start"] = 0.0          # x / 0 = inf, log(inf) = inf
    data.loc[1, "employees_now"] = 0.0                 # 0 / 0 = NaN
    data.loc[2, "floor_area_now"] = 0.0                # log(0) = -inf
    return data


@pytest.fixture(scope="module")
def anes_frame() -> pd.DataFrame:
    """statsmodels' ANES 1996 extract with the example codebook's labels, and missing answers."""
    from statsmodels.datasets import anes96

    data = anes96.load_pandas().data
    labels = pd.read_csv(ANES / "config" / "codebook" / "value_sets.csv", dtype=str)
    for variable, list_name in {"PID": "party_id", "vote": "vote"}.items():
        names = labels[labels["list_name"] == list_name].set_index("code")["name"]
        data[variable] = data[variable].astype(int).astype(str).map(names).astype("str")
    data["misaligned"] = (data["TVnews"] > 3).astype(float)
    for step, column in enumerate(["vote", "age", "educ", "misaligned", "selfLR"], start=11):
        data.loc[::step, column] = np.nan
    return data


@pytest.fixture(scope="module")
def frames(frame, anes_frame) -> dict[str, pd.DataFrame]:
    return {"alliancegov": frame, "anes96": anes_frame}


def pandas_value(data: pd.DataFrame, expression: str) -> pd.Series:
    with np.errstate(all="ignore"):
        value = data.eval(expression, engine="python")
    return value if isinstance(value, pd.Series) else pd.Series(value, index=data.index)


def test_the_configs_hold_the_strings_this_file_checks():
    assert len(EXPRESSIONS) >= 10 and len(FORMULAS) >= 12
    assert {item.project for item in EXPRESSIONS} == {item.project for item in FORMULAS} == set(PROJECTS)
    assert any(item.source.startswith("config/codebook/variables.csv") for item in EXPRESSIONS)


@pytest.mark.parametrize("name", PROJECTS)
def test_every_code_like_string_of_the_configs_is_collected(name):
    """A new formula or expression key added to a configuration must reach these tests."""
    project = PROJECTS[name]
    collected = {item.raw for item in WRITTEN if item.project == name}
    config = yaml.safe_load((project / "config" / "config.yaml").read_text(encoding="utf-8"))
    register = yaml.safe_load((project / config["hypotheses"]).read_text(encoding="utf-8"))
    for document in (config, register):
        for key, text in string_leaves(document):
            if key not in NOT_CODE and CODE_LIKE.search(text):
                assert text in collected, f"{key}: {text!r} is not checked"


@pytest.mark.parametrize("item", WRITTEN, ids=lambda item: f"{item.project}: {item.source}")
def test_every_string_of_the_configs_passes_the_check_a_loader_would_make(item):
    allowed = declared_names(PROJECTS[item.project])
    check = check_expression if item.kind == "expression" else check_formula
    used = check(item.text, allowed, item.source)
    assert used and set(used) <= allowed


@pytest.mark.parametrize("item", EXPRESSIONS, ids=lambda item: f"{item.project}: {item.source}")
def test_every_expression_of_the_configs_evaluates_as_pandas_does(item, frames):
    data = frames[item.project]
    used = check_expression(item.text, data.columns, item.source)
    assert data[used].isna().any().any(), "the frame must have missing values where the expression reads"
    ours = evaluate(item.text, data, source=item.source)
    pd.testing.assert_series_equal(ours, pandas_value(data, item.text), check_names=False)
    assert ours.nunique(dropna=True) > 1


@pytest.mark.parametrize("item", FORMULAS, ids=lambda item: f"{item.project}: {item.source}")
def test_every_formula_of_the_configs_builds_patsys_design_matrix(item, frames):
    data = frames[item.project]
    ours = design_matrix(item.text, data, source=item.source)
    pd.testing.assert_frame_equal(ours, patsy.dmatrix(item.text, data, return_type="dataframe"))
    assert 0 < len(ours) < len(data)   # rows with missing values dropped, as patsy does


@pytest.mark.parametrize("item", FORMULAS, ids=lambda item: f"{item.project}: {item.source}")
def test_formula_variables_agrees_with_the_regex_it_replaces_on_the_configs(item, frames):
    columns = frames[item.project].columns
    assert formula_variables(item.text, columns) == regex_formula_variables(item.text, columns)


# ---- what the grammar accepts computes what pandas and patsy compute --------------------------------------

ACCEPTED_EXPRESSIONS = [
    "trust + asset_specificity - 2 * knowledge_tacitness / 4",
    "trust // 2 + trust % 2 - trust ** 2 + trust ** -1 + trust ** 0.5",
    "-trust + +asset_specificity",
    "1 < trust <= 3",
    "trust == 3 or not (trust > 4) and sector == 'textile'",
    "(trust > 3) & (sector != 'services') | ~(asset_specificity < 2)",
    "governance_form in ['joint_venture', 'licensing']",
    "governance_form not in ('joint_venture',)",
    "trust in [1, 2.0, -3]",
    "log(employees_now) + log1p(trust) - exp(trust / 10) + sqrt(floor_area_now) + abs(trust - 3)",
    "employees_now / employees_start",
    "employees_now // employees_start + employees_now % employees_start",
    "new_legal_entity == 'yes'",
    "True",
]


@pytest.mark.parametrize("expression", ACCEPTED_EXPRESSIONS)
def test_accepted_constructs_evaluate_as_pandas_does(expression, frame):
    pd.testing.assert_series_equal(evaluate(expression, frame), pandas_value(frame, expression), check_names=False)


def test_missing_values_compare_as_in_pandas_and_isna_says_how_to_count_them():
    data = pd.DataFrame({"s": pd.Series(["a", None, "b"], dtype="str"), "x": [1.0, np.nan, 3.0]})
    expected = {"s == 'a'": [True, False, False], "s != 'a'": [False, True, True], "x > 1": [False, False, True],
                "x != 1": [False, True, True], "s in ['a', 'b']": [True, False, True],
                "s not in ['a']": [False, True, True]}
    for expression, values in expected.items():
        assert evaluate(expression, data).tolist() == values == pandas_value(data, expression).tolist()
    assert evaluate("notna(s) & (s != 'a')", data).tolist() == [False, False, True]
    assert evaluate("isna(x) | (x > 2)", data).tolist() == [False, True, True]
    assert evaluate("s in {'a', 'b'}", data).tolist() == data["s"].isin({"a", "b"}).tolist()


def test_nullable_dtypes_compare_as_in_pandas():
    """pandas reads a comparison with a text as membership (never missing) and keeps <NA> for numbers."""
    data = pd.DataFrame({"t": pd.array(["a", None, "b"], dtype="string"), "n": pd.array([1, None, 0], dtype="Int64"),
                         "f": pd.array([1.5, None, 0.0], dtype="Float64"), "c": pd.Categorical(["a", None, "b"])})
    for expression in ["t == 'a'", "t != 'a'", "'a' == t", "n == 'a'", "n == 1", "n != 1", "f > 1", "c == 'a'",
                       "c != 'b'", "t in ['a']", "(n > 0) & (t == 'a')", "(f >= 1.5) | (c == 'b')", "n / 0"]:
        pd.testing.assert_series_equal(evaluate(expression, data), pandas_value(data, expression), check_names=False)
    assert evaluate("t != 'a'", data).tolist() == [False, True, True]
    assert evaluate("n != 1", data).isna().tolist() == [False, True, False]


def test_division_by_zero_gives_inf_as_numpy_does():
    data = pd.DataFrame({"x": [1.0, -1.0, 0.0, 2.0], "y": [0.0, 0.0, 0.0, 4.0]})
    assert evaluate("x / y", data).tolist()[:2] == [np.inf, -np.inf]
    assert np.isnan(evaluate("x / y", data)[2])
    assert evaluate("log(x)", data)[2] == -np.inf


def test_a_constant_expression_is_repeated_on_the_frames_index():
    data = pd.DataFrame({"x": [1, 2]}, index=[10, 20])
    assert evaluate("2 ** 3 + 1", data).to_dict() == {10: 9, 20: 9}


@pytest.mark.parametrize(("expression", "token", "column"), [
    ("sector + 1", "+", 8),                 # text plus a number
    ("trust & (sector == 'textile')", "&", 7),   # & needs conditions on both sides
    ("not trust", "not", 1),
    ("missing_column > 1", "missing_column", 1),  # allowed, but not in the data
    ("trust + 1 // 0", "//", 11),           # numbers written out: Python's exact arithmetic, not numpy's
])
def test_evaluation_errors_name_the_operator_or_the_variable(expression, token, column, frame):
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, frame, allowed=[*frame.columns, "missing_column"], source=SOURCE)
    assert (caught.value.token, caught.value.column) == (token, column)


NUMPY = patsy.EvalEnvironment([{"log": np.log, "log1p": np.log1p, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs,
                                "isna": pd.isna, "notna": pd.notna}])
ACCEPTED_FORMULAS = [
    "trust + I(trust ** 2) + I(asset_specificity * trust)",
    "center(trust) + standardize(trust, ddof=1) + scale(asset_specificity, rescale=False)",
    "log(trust) + log1p(trust) + exp(trust) + sqrt(trust) + abs(trust - 3)",
    "C(sector, Sum(omit='textile')) + C(technology_level, Poly(scores=[1, 2, 4]))",
    "C(technology_level, levels=['low', 'medium', 'high']) + C(sector, Treatment(reference='textile'))",
    "C(target_market, Treatment('export'), levels=('export', 'domestic'))",
    "trust:asset_specificity + trust * sector + trust / technology_level",
    "(trust + asset_specificity + sector) ** 2",
    "0 + trust",
    "-1 + trust + C(sector)",
    "I((trust > 3) & (asset_specificity < 3)) + I(~(trust > 3)) + C(isna(governance_form))",
    "C(sector == 'textile') + I(trust != 3)",
    "  trust +\n  C(sector,\n    Treatment('services'))",
]


@pytest.mark.parametrize("formula", ACCEPTED_FORMULAS)
def test_accepted_formulas_build_patsys_design_matrix(formula, frame):
    expected = patsy.dmatrix(formula, frame, eval_env=NUMPY, return_type="dataframe")
    pd.testing.assert_frame_equal(design_matrix(formula, frame), expected)


def test_text_columns_reach_patsy_as_categoricals_with_patsys_own_levels_and_missing_rows():
    """design_matrix hands patsy a text column as a categorical (patsy reads text one value at a
    time): accented, upper-case and missing values give patsy's matrix of the plain text."""
    sectors = ["électronique", "Zinc", "agro", None, "ébène", "services", "agro", "Zinc"]
    text = pd.DataFrame({"sector": pd.Series(sectors, dtype="str"), "trust": np.arange(8.0)})
    plain = text.assign(sector=pd.Series(sectors, dtype=object))
    for formula in ("trust + C(sector)", "C(sector, Treatment('services')) + trust"):
        expected = patsy.dmatrix(formula, plain, eval_env=NUMPY, return_type="dataframe")
        assert len(expected) == 7
        pd.testing.assert_frame_equal(design_matrix(formula, text), expected)
    assert text["sector"].dtype == "str"                     # the caller's frame is left as it was


def test_design_matrices_checks_both_sides_and_builds_patsys_matrices(frame):
    formula = "performance_index ~ trust + C(governance_form, Treatment('repeated_contract'))"
    outcome, design = design_matrices(formula, frame)
    expected_outcome, expected_design = patsy.dmatrices(formula, frame, return_type="dataframe")
    pd.testing.assert_frame_equal(outcome, expected_outcome)
    pd.testing.assert_frame_equal(design, expected_design)


def test_formula_variables_reads_the_syntax_tree_not_the_text_in_quotes():
    formula = ("C(governance_form, Treatment('trust')) * C(sector, levels=['trust', 'sector']) + trust + "
               "log(asset_specificity)")
    columns = ["trust", "sector", "governance_form", "asset_specificity", "log"]
    assert formula_variables(formula, columns) == ["governance_form", "sector", "trust", "asset_specificity"]
    assert regex_formula_variables(formula, columns)[:2] == ["governance_form", "trust"]  # what it replaces


def test_patsy_evaluates_checked_factors_among_the_allowed_functions_only():
    caller_secret = "the caller's variables are out of reach"  # noqa: F841 - patsy's default would capture it
    namespace = expressions.formulas._environment().namespace
    assert all(name in namespace for name in (*expressions.FORMULA_FUNCTIONS, *expressions.CONTRASTS))
    assert not any(name in namespace for name in ("caller_secret", "np", "pd", "patsy", "os", "Q", "bs", "Helmert"))


@pytest.mark.parametrize(("formula", "token", "column"), [
    ("C(data=sector)", "data", 3),                              # the data is never a keyword argument
    ("standardize(x=trust)", "x", 13),
    ("standardize(trust, center=1)", "1", 27),                  # True or False
    ("standardize(trust, ddof=-1)", "-1", 25),                  # a whole number
    ("C(sector, Treatment('textile'), contrast=Sum())", "contrast", 33),   # given twice
    ("C(sector, Poly(scores=['a', 'b']))", "'a'", 24),          # numbers only
    ("C(sector, levels='textile')", "'textile'", 18),           # a list
    ("log(trust, trust)", "trust", 12),
    ("C()", ")", 3),
    ("trust + log", "log", 9),                                  # a function, not called
    ("C(sector, Treatment)", "Treatment", 11),
])
def test_misused_functions_are_refused_naming_the_argument(formula, token, column):
    with pytest.raises(ExpressionError) as caught:
        check_formula(formula, ["trust", "sector"], SOURCE)
    assert (caught.value.token, caught.value.column) == (token, column), str(caught.value)


def test_a_variable_allowed_but_missing_from_the_data_is_named_before_patsy_runs(frame):
    with pytest.raises(ExpressionError) as caught:
        design_matrix("trust + open", frame, allowed=[*frame.columns, "open"], source=SOURCE)
    assert (caught.value.token, caught.value.column) == ("open", 9)


# ---- error messages -----------------------------------------------------------------------------------

def test_an_error_names_the_source_the_token_and_its_column_with_a_caret():
    text = "(equity_stake != 'none') | shell('id')"
    source = "config/codebook/variables.csv row 12, column relevant"
    with pytest.raises(ExpressionError) as caught:
        check_expression(text, ["equity_stake"], source)
    first, shown, caret = str(caught.value).splitlines()
    assert first.startswith(f"{source}: `shell` at column 28: not an allowed function")
    assert shown == f"    {text}"
    assert caret == "    " + " " * 27 + "^^^^^"
    assert isinstance(caught.value, ValueError)


def test_a_formula_error_names_its_config_key():
    formula = "asset_specificity + trust + C(sector, Treatment('services')) + np.log(trust)"
    with pytest.raises(ExpressionError) as caught:
        check_formula(formula, ["asset_specificity", "trust", "sector"], "config/config.yaml: choice.formula")
    message = str(caught.value)
    assert message.startswith("config/config.yaml: choice.formula: `log` at column 67: attribute access is not "
                              "allowed (write log(...))")
    assert message.splitlines()[2].index("^") - 4 == formula.index("log(trust)")


def test_columns_count_characters_of_the_original_string():
    """Leading blanks, line breaks and accented text before the token are counted as written."""
    text = "  governance_form == 'coentreprise-été' and\n  emplyees > 1"
    with pytest.raises(ExpressionError) as caught:
        check_expression(text, ["governance_form", "employees"], SOURCE)
    assert caught.value.column == text.index("emplyees") + 1
    assert "did you mean `employees`?" in str(caught.value)


def test_a_syntax_error_points_at_the_end_when_the_text_stops_too_early():
    with pytest.raises(ExpressionError) as caught:
        check_expression("trust > 1 and ", ["trust"], SOURCE)
    assert caught.value.column == 14 and "stops too early" in caught.value.reason


def test_an_error_survives_pickling_to_another_process():
    with pytest.raises(ExpressionError) as caught:
        check_formula("trust + np.log(trust)", ["trust"], "config/config.yaml: choice.formula")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.token, copy.column, copy.source) == (str(caught.value), "log", 12, caught.value.source)


# ---- hostile strings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hostile:
    kind: str       # "expression", "formula" (right-hand side) or "model" (y ~ x)
    text: str
    token: str
    column: int
    live: bool = False   # the payload creates MARKER when run without the grammar (see the control test)


P = PAYLOAD
HOSTILE = [
    # expressions: pandas eval/query strings and the codebook's relevant conditions
    Hostile("expression", P, "__import__", 1, live=True),
    Hostile("expression", f"(equity_stake != 'none') | {P}", "__import__", 28, live=True),
    Hostile("expression", "@pd.io.common.os.system('touch MARKER')", "@", 1, live=True),
    Hostile("expression", "trust > 0 and @pd.io.common.os.system('touch MARKER')", "@", 15),
    Hostile("expression", "trust.__class__.__base__.__subclasses__()", "__class__", 7),
    Hostile("expression", "().__class__.__bases__[0].__subclasses__()", "__class__", 4),
    Hostile("expression", "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings']"
            "[0]()._module.__builtins__['__import__']('pathlib').Path('MARKER').touch()", "for", 4, live=True),
    Hostile("expression", f"(lambda: {P})()", "lambda", 2, live=True),
    Hostile("expression", f"(x := {P})", ":=", 4, live=True),
    Hostile("expression", f'f"{{{P}}}"', 'f"', 1, live=True),
    Hostile("expression", f"abs(*[{P}])", "*", 5, live=True),
    Hostile("expression", f"trust if {P} else 0", "if", 7, live=True),
    Hostile("expression", f"{{'a': {P}}}", "{", 1, live=True),
    Hostile("expression", f"[{P}]", "__import__", 2, live=True),
    Hostile("expression", f"{{{P}}}", "__import__", 2, live=True),
    Hostile("expression", f"(x for x in [{P}])", "for", 4),
    Hostile("expression", f"ｅｖａｌ(\"{P}\")", "ｅｖａｌ", 1, live=True),
    Hostile("expression", "__ｉｍｐｏｒｔ__('pathlib').Path('MARKER').touch()", "__ｉｍｐｏｒｔ__", 1, live=True),
    Hostile("expression", f"𝐞𝐱𝐞𝐜(\"{P}\")", "𝐞𝐱𝐞𝐜", 1, live=True),
    Hostile("expression", f"trust + {P}.ｒｅａｌ", "__import__", 9, live=True),
    Hostile("expression", "ｔｒｕｓｔ > 1", "ｔｒｕｓｔ", 1),
    Hostile("expression", f"exec(\"{P}\")", "exec", 1, live=True),
    Hostile("expression", "open('MARKER', 'w').close()", "open", 1, live=True),
    Hostile("expression", f"getattr({P}, 'real')", "getattr", 1, live=True),
    Hostile("expression", "__builtins__['__import__']('pathlib').Path('MARKER').touch()", "__builtins__", 1,
            live=True),
    Hostile("expression", f"trust[{P}]", "[", 6),
    Hostile("expression", f"trust in [{P}]", "__import__", 11),
    Hostile("expression", f"sector in {P}", "__import__", 11),
    Hostile("expression", f"abs(x={P})", "__import__", 7, live=True),
    Hostile("expression", f"log(trust, {P})", "__import__", 12),
    Hostile("expression", f"C(sector, {P})", "__import__", 11),
    Hostile("expression", f"sector == 'x'; {P}", ";", 14),
    Hostile("expression", f"(yield {P})", "yield", 2),
    Hostile("expression", f"await {P}", "await", 1),
    Hostile("expression", f"trust + 0\x00 + {P}", "\\u0000", 10),
    Hostile("expression", f"sector == 'abc\u202e' or {P}", "\\u202e", 15),
    Hostile("expression", f"trust @ {P}", "@", 7),
    Hostile("expression", f"trust << {P}", "<<", 7),
    Hostile("expression", f"trust is {P}", "__import__", 10),
    Hostile("expression", "'a' * 10 ** 9", "'a'", 1),                 # a gigabyte of text
    Hostile("expression", "trust ** 10 ** 10", "10 ** 10", 10),        # exponent not a literal
    Hostile("expression", "2 ** 100000000", "100000000", 6),           # exact integer power: minutes of CPU
    Hostile("expression", "((trust ** 2) ** 2) ** 2", "**", 15),       # nested powers
    Hostile("expression", "-" * 200 + "trust", "-" * 29 + "…", 101),   # nested too deeply
    Hostile("expression", "trust + " * 700 + "trust", "t", 5001),      # too long
    Hostile("expression", "b'MARKER' == sector", "b'MARKER'", 1),
    Hostile("expression", f'trust + """{P}', '"""', 9),
    Hostile("expression", f"trust > 1 # {P}", "# __import__('pathlib').Path(…", 11),
    Hostile("expression", "trust > 1 & sector == 'textile'", "&", 11),  # pandas and Python disagree
    # formulas: every factor reaches Python's eval inside patsy
    Hostile("formula", f"C(sector, Treatment('services' + {P}*''))", "__import__", 34, live=True),
    Hostile("formula", f"C(sector, levels=[{P}])", "__import__", 19, live=True),
    Hostile("formula", f"I({P})", "__import__", 3, live=True),
    Hostile("formula", f"trust + C(sector, Treatment({P}))", "__import__", 29, live=True),
    Hostile("formula", f"C(sector, Treatment(reference={P}))", "__import__", 31, live=True),
    Hostile("formula", f"C(sector, {P})", "__import__", 11, live=True),
    Hostile("formula", f"C(sector, Sum(omit={P}))", "__import__", 20, live=True),
    Hostile("formula", f"standardize(trust, ddof={P})", "__import__", 25, live=True),
    Hostile("formula", "@os.system('touch MARKER')", "@", 1),
    Hostile("formula", f"trust + I((lambda: {P})())", "lambda", 12),  # patsy 1.0 refuses lambdas itself
    Hostile("formula", "trust + I([c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "
            "'catch_warnings'][0]()._module.__builtins__['__import__']('pathlib').Path('MARKER').touch())",
            "for", 14),
    Hostile("formula", f"I(ｅｖａｌ(\"{P}\"))", "ｅｖａｌ", 3, live=True),
    Hostile("formula", "I(__builtins__['__import__']('pathlib').Path('MARKER').touch())", "__builtins__", 3,
            live=True),
    Hostile("formula", f"trust + exec(\"{P}\")", "exec", 9, live=True),
    Hostile("formula", "Q('trust') + bs(trust, df=3)", "Q", 1),
    Hostile("formula", "C(sector, Helmert)", "Helmert", 11),
    Hostile("formula", f"Treatment({P})", "__import__", 11, live=True),
    Hostile("formula", "trust + np.log(trust)", "log", 12),
    Hostile("formula", f'trust + I(f"{{{P}}}")', 'f"', 11, live=True),
    Hostile("formula", f"I(trust if {P} else 0)", "if", 9, live=True),
    Hostile("formula", f"trust + I(*[{P}])", "*", 11, live=True),
    Hostile("formula", f"C(sector, **{{'levels': [{P}]}})", "**", 11, live=True),
    Hostile("formula", f"C(sector, levels=sorted(set([{P}])))", "sorted", 18, live=True),
    Hostile("formula", f"trust + abs(trust, base={P})", "__import__", 25, live=True),
    Hostile("formula", f"trust + I(trust) # {P}", "# __import__('pathlib').Path(…", 18),
    Hostile("formula", "I(2 ** 100000000)", "100000000", 8),
    Hostile("formula", "(" + " + ".join(f"as{i}" for i in range(1, 5)) + " + " + " + ".join(
        f"eu{i}" for i in range(1, 5)) + " + tr1 + tr2 + tr3 + kt1 + kt2) ** 5", "**", 79),  # 10^5 terms
    Hostile("formula", "I(sector == 'a' and trust > 1)", "and", 17),
    Hostile("formula", f'trust + """{P}', '"""', 9),   # patsy's tokenizer would drop the rest silently
    Hostile("model", f"{P} ~ trust", "__import__", 1, live=True),
    Hostile("model", f"trust ~ I({P})", "__import__", 11, live=True),
]


def refused(case: Hostile, frame: pd.DataFrame):
    """The ways this module is asked to read the string: the standalone check and the evaluating call."""
    if case.kind == "expression":
        return [lambda: check_expression(case.text, frame.columns, SOURCE),
                lambda: evaluate(case.text, frame, source=SOURCE)]
    build = design_matrix if case.kind == "formula" else design_matrices
    return [lambda: check_formula(case.text, frame.columns, SOURCE),
            lambda: build(case.text, frame, source=SOURCE)]


def run_unchecked(case: Hostile, frame: pd.DataFrame) -> None:
    """What the project did before this module: patsy, pandas, or Python's eval with the columns in reach."""
    if case.kind == "formula":
        patsy.dmatrix(case.text, frame)
    elif case.kind == "model":
        patsy.dmatrices(case.text, frame)
    elif "@" in case.text:
        frame.eval(case.text)
    else:
        eval(case.text, {}, {column: frame[column] for column in frame.columns})  # as patsy evaluates a factor


def test_there_are_at_least_forty_hostile_strings_of_each_family():
    assert sum(case.kind == "expression" for case in HOSTILE) >= 40
    assert sum(case.kind != "expression" for case in HOSTILE) >= 25


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: f"{case.kind}: {case.text[:60]}")
def test_a_hostile_string_is_refused_naming_its_token_and_never_runs(case, frame, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for attempt in refused(case, frame):
        with pytest.raises(ExpressionError) as caught:
            attempt()
        error = caught.value
        assert (error.token, error.column) == (case.token, case.column), str(error)
        assert str(error).startswith(f"{SOURCE}: `{case.token}` at column {case.column}: ")
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("case", [case for case in HOSTILE if case.live], ids=lambda case: case.text[:60])
def test_control_the_payload_runs_without_the_grammar(case, frame, tmp_path, monkeypatch):
    """Shows that the refusal above is what stands between the string and the file system."""
    monkeypatch.chdir(tmp_path)
    with contextlib.suppress(Exception):   # several payloads fail after they ran
        run_unchecked(case, frame)
    assert (tmp_path / MARKER).exists()


FUZZ_ATOMS = ["trust", "sector", "'a'", "1", "0", "2.5", " ", "\n", "\r", "\t", "-", "+", "*", "**", "/", "//", "%",
              ":", "~", "(", ")", "[", "]", "{", "}", ",", ".", "=", "==", "<", "!=", "&", "|", ";", "$", " and ",
              " or ", " not ", " in ", " is ", " if ", " else ", " for ", "log", "C", "I", "Treatment", "Sum", "Poly",
              "levels=", "reference=", "scores=", "ddof=", "center", "standardize", "lambda", "@", "__import__",
              "__class__", "'", '"', "'''", "f'", "ｅ", "é", "#", "\\", "1e400", "9" * 30]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FUZZ_ATOMS), max_size=30).map("".join))
def test_any_text_is_either_accepted_or_refused_with_an_expression_error(text):
    for check in (check_expression, check_formula):
        try:
            check(text, ["trust", "sector"], "fuzz")
        except ExpressionError:
            pass


EVALUATION_ATOMS = ["x", "n", "s", "b", "c", "'a'", "1", "0", "2.5", "-", "+", "*", "**2", "/", "//", "%", "~", "(",
                    ")", "==", "<", "!=", ">=", "&", "|", " and ", " or ", " not ", " in ['a', 1]", " not in (0,)",
                    "log(", "isna(", "notna(", "sqrt(", "abs(", "True", "None"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(EVALUATION_ATOMS), min_size=1, max_size=10).map("".join))
def test_an_accepted_expression_evaluates_to_a_series_or_raises_an_expression_error(text):
    data = pd.DataFrame({"x": [1.0, np.nan, 0.0, -2.0], "n": pd.array([1, None, 0, 3], dtype="Int64"),
                         "s": pd.Series(["a", None, "b", "a"], dtype="str"), "b": [True, False, True, False],
                         "c": pd.Categorical(["u", "v", None, "u"])}, index=[3, 5, 7, 9])
    try:
        check_expression(text, data.columns, "fuzz")
    except ExpressionError:
        return
    try:
        value = evaluate(text, data)
    except ExpressionError:
        return
    assert isinstance(value, pd.Series) and value.index.equals(data.index)

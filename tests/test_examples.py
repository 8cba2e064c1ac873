"""The examples under ``examples/``, each run from its config folder alone with the README's one command,
held to the published numbers of the software that first analysed them.

* ``examples/housing`` (a frequency table, categorical regressors only, one wave, no identifier, choice
  only): MASS's ``?housing`` example ``house.mult <- multinom(Sat ~ Infl + Type + Cont, weights = Freq,
  data = housing)`` as printed in MASS's check output ``tests/Examples/MASS-Ex.Rout.save`` (MASS 7.3-65,
  https://github.com/cran/MASS): the coefficients of Medium and High against Low, residual deviance
  3470.084, AIC 3498.084. nnet's BFGS stops within ~6e-6 of the maximum (it prints "converged" at
  value 1735.041933, as our Newton–Raphson fit's log-likelihood is), so the coefficients are held to 1e-5.
* ``examples/ologit_ucla`` (an ordinal outcome, ordinal-only: ``choice.multinomial: false``): UCLA OARC's
  ordered-logit example ``apply ~ pared + public + gpa`` (400 rows). R ``MASS::polr`` as statsmodels records
  it (``statsmodels/miscmodels/tests/results/results_ordinal_model.py``, ``res_ord_logit``; polr's optim
  stops ~2e-4 short of the maximum, hence the tolerances of ``tests/stats/test_ordinal.py``) and Stata
  ``ologit apply pared public gpa, or`` (UCLA OARC's Stata data-analysis example, as
  ``tests/stats/test_ordinal.py`` transcribes it: the exact maximum, to Stata's printed digits).
* ``examples/apistrat`` (sampling weights and a stratified design with a finite population correction):
  R survey's ``svyglm(sch.wide ~ ell + meals + mobility, design = dstrat, family = quasibinomial())`` of
  ``?svyglm`` on ``apistrat``, the numbers ``tests/stats/test_survey_design.py`` holds ([LikeR]
  ``strat_schwide``, frozen R 4.6.1 / survey 4.5 output; re-run here with R 4.2.2 and survey 4.1-1, same
  digits). svyglm's standard errors come from its penultimate IRLS iterate, ~1e-5 relative from the
  converged fit's, hence 2e-4 (as in that test).
"""

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

# whole-pipeline runs: the slow tier
pytestmark = pytest.mark.slow

# words of the alliance study that a report of another survey must not hold
STUDY_WORDS = re.compile(r"allian|governance|gouvernance|\bfirms?\b|entreprise|sector|secteur|partner|"
                         r"contract|contrat|joint venture|hierarch", re.IGNORECASE)


def readme_command(name: str) -> str:
    """The one command ``examples/<name>/README.md`` prints to run the example from the repository's folder."""
    readme = (ROOT / "examples" / name / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^ {4}(\.venv/bin/snakemake .*)$", readme, flags=re.MULTILINE)
    assert commands == [f".venv/bin/snakemake --snakefile Snakefile --directory examples/{name} --cores all"]
    return commands[0]


def run_example(name: str, folder: Path, choice: dict | None = None) -> Path:
    """Run ``examples/<name>`` with its README's command, as printed, from a copy of the repository's folder
    (the workflow and that example; its ``.venv`` the interpreter's own environment), the example's
    ``choice`` section updated with ``choice``; its results folder."""
    import yaml

    repository = folder / "repository"
    repository.mkdir()
    for part in ("Snakefile", "workflow", "environment.yml"):
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy2)(ROOT / part, repository / part)
    project = repository / "examples" / name
    shutil.copytree(ROOT / "examples" / name, project, ignore=shutil.ignore_patterns("results", ".snakemake"))
    (repository / ".venv").symlink_to(Path(sys.executable).parents[1])
    if choice:
        config_file = project / "config" / "config.yaml"
        config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        config["choice"].update(choice)
        config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = subprocess.run(readme_command(name), shell=True, cwd=repository, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return project / "results"


def report_text(results: Path) -> str:
    """The report's visible text, without the provenance section (file names, software versions, the
    configuration echoed with its schema defaults such as ``cluster: firm_key``) and embedded images."""
    html = (results / "report" / "index.en.html").read_text(encoding="utf-8")
    html = html[:html.index('<section id="provenance">')]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", html))).split())


@pytest.fixture(scope="module")
def housing(tmp_path_factory):
    return run_example("housing", tmp_path_factory.mktemp("examples"))


# house.mult's coefficients (MASS-Ex.Rout.save): R's names -> ours, then Medium's and High's values
MASS_TERMS = {"(Intercept)": "Intercept", "InflMedium": "infl[medium]", "InflHigh": "infl[high]",
              "TypeApartment": "type[apartment]", "TypeAtrium": "type[atrium]", "TypeTerrace": "type[terrace]",
              "ContHigh": "cont[high]"}
HOUSE_MULT = {"medium": [-0.4192316, 0.4464003, 0.6649367, -0.4356851, 0.1313663, -0.6665728, 0.3608513],
              "high": [-0.1387453, 0.7348626, 1.6126294, -0.7356261, -0.4079808, -1.4123333, 0.4818236]}


def test_housing_reproduces_mass_house_mult(housing):
    table = pd.read_csv(housing / "tables" / "choice_mnl.csv").set_index(["outcome", "term"])
    assert set(table["base"]) == {"low"}
    for category, published in HOUSE_MULT.items():
        np.testing.assert_allclose(table.loc[category].loc[list(MASS_TERMS.values()), "estimate"], published,
                                   atol=1e-5)
    fit = pd.read_csv(housing / "tables" / "choice_fit.csv").set_index("statistic")["value"]
    assert -2 * fit["log_likelihood"] == pytest.approx(3470.084, abs=5e-4)   # Residual Deviance: 3470.084
    assert fit["aic"] == pytest.approx(3498.084, abs=5e-4)                   # AIC: 3498.084
    assert fit["n_obs"] == 1681 and fit["n_params"] == 14


def test_housing_counts_are_the_households_not_the_cells(housing):
    """The frequency weights reach the descriptive tables: 1,681 households, 567 / 446 / 668 by
    satisfaction (the margins of MASS::housing), not 72 cells of 24 each."""
    shares = pd.read_csv(housing / "tables" / "form_by_sector.csv")
    assert shares["n"].sum() == 1681
    assert shares.groupby("sat")["n"].sum().to_dict() == {"low": 567, "medium": 446, "high": 668}
    table_1 = (housing / "tables" / "publication" / "en" / "descriptives.md").read_text(encoding="utf-8")
    assert "All (n = 1,681)" in table_1 and "Low (n = 567)" in table_1 and "High (n = 668)" in table_1


def test_housing_report_speaks_of_housing_only(housing):
    text = report_text(housing)
    assert "Copenhagen housing survey" in text and "Choice model: Satisfaction with the housing" in text
    assert not STUDY_WORDS.search(text), STUDY_WORDS.search(text)
    # the stages left out: one sentence each, no heading over empty tables
    for sentence in ("Measurement: section left out", "Performance: section left out",
                     "Waves and panel: section left out"):
        assert text.count(sentence) == 1
    html = (housing / "report" / "index.en.html").read_text(encoding="utf-8")
    assert '<section id="performance">' not in html and '<section id="waves">' not in html
    assert html.count("data:image/png;base64,") == 4   # outcome by group, sample flow, coefficients, AMEs


@pytest.fixture(scope="module")
def ologit_ucla(tmp_path_factory):
    return run_example("ologit_ucla", tmp_path_factory.mktemp("examples"))


def test_ologit_ucla_ships_statsmodels_data():
    import statsmodels

    shipped = ROOT / "examples" / "ologit_ucla" / "data" / "raw" / "ologit_ucla.csv"
    source = Path(statsmodels.__file__).parent / "miscmodels" / "tests" / "results" / "ologit_ucla.csv"
    assert shipped.read_bytes() == source.read_bytes()


def test_ologit_ucla_reproduces_polr_and_stata_ologit(ologit_ucla):
    from statsmodels.miscmodels.tests.results.results_ordinal_model import res_ord_logit

    table = pd.read_csv(ologit_ucla / "tables" / "choice_ordered.csv").set_index("term")
    slopes = table.loc[["pared[yes]", "public[yes]", "gpa"]]
    cuts = table.loc[["unlikely|somewhat_likely", "somewhat_likely|very_likely"]]
    # R polr (optim stops short of the maximum: its printed estimates are 2e-4 / 6e-4 off it)
    np.testing.assert_allclose(slopes["estimate"], res_ord_logit.coefficients_val, atol=2.5e-4)
    np.testing.assert_allclose(slopes["std_error"], res_ord_logit.coefficients_stdE, atol=1e-4)
    np.testing.assert_allclose(cuts["estimate"], res_ord_logit.thresholds, atol=7e-4)
    # Stata ologit, or: odds ratios, their standard errors (OR x SE(b)) and intervals, the cut points
    np.testing.assert_allclose(slopes["odds_ratio"], [2.850982, 0.9430059, 1.851037], rtol=2e-6)
    np.testing.assert_allclose(slopes["odds_ratio"] * slopes["std_error"], [0.7577601, 0.2808826, 0.4824377],
                               rtol=2e-5)
    np.testing.assert_allclose(slopes["or_conf_low"], [1.69338, 0.5259888, 1.11062], rtol=2e-5)
    np.testing.assert_allclose(slopes["or_conf_high"], [4.799927, 1.690645, 3.085067], rtol=5e-6)
    np.testing.assert_allclose(cuts["estimate"], [2.203323, 4.298767], atol=2e-6)
    np.testing.assert_allclose(cuts["std_error"], [0.7795353, 0.8043147], atol=2e-6)
    fit = pd.read_csv(ologit_ucla / "tables" / "choice_ordered_fit.csv").set_index("statistic")["value"]
    assert fit["log_likelihood"] == pytest.approx(-358.51244, abs=1e-5)
    assert fit["n_obs"] == 400


def test_ologit_ucla_is_ordinal_only_and_reported(ologit_ucla):
    tables = {path.name for path in (ologit_ucla / "tables").glob("*.csv")}
    assert not {"choice_mnl.csv", "choice_ame.csv", "choice_fit.csv"} & tables   # no multinomial logit
    # apply by pared, as UCLA's `tab apply pared` prints it
    shares = pd.read_csv(ologit_ucla / "tables" / "form_by_sector.csv").set_index(["pared", "apply"])["n"]
    assert shares.to_dict() == {("no", "unlikely"): 200, ("no", "somewhat_likely"): 110, ("no", "very_likely"): 27,
                                ("yes", "unlikely"): 20, ("yes", "somewhat_likely"): 30, ("yes", "very_likely"): 13}
    text = report_text(ologit_ucla)
    assert not STUDY_WORDS.search(text), STUDY_WORDS.search(text)
    for heading in ("Choice model: Likelihood of applying to graduate school", "Ordered logit: coefficients and cut "
                    "points", "Ordered logit: average marginal effects", "Ordered logit: Brant test"):
        assert heading in text
    assert "Grade point average" in text and "Multinomial logit" not in text
    assert text.count("section left out") == 3


def test_a_binary_only_analysis_runs_to_a_report(tmp_path):
    """choice.multinomial: false with a binary outcome alone: the logit of "applies at all" (not unlikely) on
    the UCLA data, equal to statsmodels' Logit of the same data (no published table holds this model)."""
    import statsmodels.api as sm

    results = run_example("ologit_ucla", tmp_path, choice={"ordered": False, "binary_name": "applies",
                                                           "binary_outcome": "apply != 'unlikely'"})
    tables = {path.name for path in (results / "tables").glob("*.csv")}
    assert {"choice_equity.csv", "choice_equity_ame.csv"} <= tables
    assert not {"choice_mnl.csv", "choice_ordered.csv"} & tables
    data = pd.read_csv(ROOT / "examples" / "ologit_ucla" / "data" / "raw" / "ologit_ucla.csv")
    reference = sm.Logit((data["apply"] != "unlikely").astype(float),
                         sm.add_constant(data[["pared", "public", "gpa"]].astype(float))).fit(disp=0)
    table = pd.read_csv(results / "tables" / "choice_equity.csv").set_index("term")
    terms = ["Intercept", "pared[yes]", "public[yes]", "gpa"]
    np.testing.assert_allclose(table.loc[terms, "estimate"], reference.params, atol=1e-6)
    np.testing.assert_allclose(table.loc[terms, "std_error"], reference.bse, atol=1e-6)
    text = report_text(results)
    assert "Binary logit: coefficients" in text and "Binary logit: average marginal effects" in text
    assert "Ordered logit" not in text and "Multinomial logit" not in text
    assert not STUDY_WORDS.search(text), STUDY_WORDS.search(text)


@pytest.fixture(scope="module")
def apistrat(tmp_path_factory):
    return run_example("apistrat", tmp_path_factory.mktemp("examples"))


def test_apistrat_ships_surveys_data():
    """The shipped rows are survey's apistrat as tests/stats/data keeps it (the outcome's header renamed)."""
    shipped = pd.read_csv(ROOT / "examples" / "apistrat" / "data" / "raw" / "apistrat.csv")
    source = pd.read_csv(ROOT / "tests" / "stats" / "data" / "apistrat.csv", comment="#")
    pd.testing.assert_frame_equal(shipped, source.rename(columns={"sch.wide": "sch_wide"})[shipped.columns])
    assert len(shipped) == 200


def test_apistrat_reproduces_r_svyglm(apistrat):
    from scipy import stats

    table = pd.read_csv(apistrat / "tables" / "choice_mnl.csv").set_index("term")
    terms = ["Intercept", "ell", "meals", "mobility"]
    assert set(table["outcome"]) == {"yes"} and set(table["base"]) == {"no"}
    np.testing.assert_allclose(table.loc[terms, "estimate"], [0.8358365250542884, -0.0024896357495189174,
                                                              -0.003152365111503177, 0.060896778706658], rtol=1e-7)
    np.testing.assert_allclose(table.loc[terms, "std_error"], [0.4556260955945678, 0.013252498611026018,
                                                               0.009199483717659164, 0.031935421453053614], rtol=2e-4)
    # t on the design's degrees of freedom, PSUs − strata = 197 (Stata svy; R's svyglm uses 197 + 1 − 4)
    np.testing.assert_allclose(table.loc[terms, "p_value"], 2 * stats.t.sf(table.loc[terms, "statistic"].abs(), 197),
                               rtol=1e-8)
    assert table["note"].str.contains("Taylor-linearised standard errors of the survey design").all()
    fit = pd.read_csv(apistrat / "tables" / "choice_fit.csv").set_index("statistic")["value"]
    # a pseudo-likelihood: no AIC, BIC, null log-likelihood or pseudo-R²
    assert not {"aic", "bic", "log_likelihood_null", "mcfadden_r2", "cox_snell_r2"} & set(fit.index)
    assert fit["n_obs"] == 200 and fit["wald_df"] == 3
    text = report_text(apistrat)
    assert not STUDY_WORDS.search(text), STUDY_WORDS.search(text)
    assert "Choice model: School-wide growth target met" in text and text.count("section left out") == 3

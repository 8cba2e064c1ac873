"""The examples under ``examples/``, each run from its config folder alone with the README's one command,
held to the published numbers of the software that first analysed them.

* ``examples/housing`` (a frequency table, categorical regressors only, one wave, no identifier, choice
  only): MASS's ``?housing`` example ``house.mult <- multinom(Sat ~ Infl + Type + Cont, weights = Freq,
  data = housing)`` as printed in MASS's check output ``tests/Examples/MASS-Ex.Rout.save`` (MASS 7.3-65,
  https://github.com/cran/MASS): the coefficients of Medium and High against Low, residual deviance
  3470.084, AIC 3498.084. nnet's BFGS stops within ~6e-6 of the maximum (it prints "converged" at
  value 1735.041933, as our Newton–Raphson fit's log-likelihood is), so the coefficients are held to 1e-5.
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

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# words of the alliance study that a report of another survey must not hold
STUDY_WORDS = re.compile(r"allian|governance|gouvernance|\bfirms?\b|entreprise|sector|secteur|partner|"
                         r"contract|contrat|joint venture|hierarch", re.IGNORECASE)


def run_example(name: str, folder: Path) -> Path:
    """Copy ``examples/<name>`` to ``folder`` and run the README's command on it; its results folder."""
    project = folder / name
    shutil.copytree(ROOT / "examples" / name, project, ignore=shutil.ignore_patterns("results", ".snakemake"))
    result = subprocess.run([SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(project),
                             "--cores", "2"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return project / "results"


def report_text(results: Path) -> str:
    """The report's visible text, without the provenance section (file names, software versions, the
    configuration echoed with its schema defaults such as ``cluster: firm_key``) and embedded images."""
    html = (results / "report" / "index.html").read_text(encoding="utf-8")
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
    table_1 = (housing / "tables" / "publication" / "descriptives.md").read_text(encoding="utf-8")
    assert "All (n = 1681)" in table_1 and "Low (n = 567)" in table_1 and "High (n = 668)" in table_1


def test_housing_report_speaks_of_housing_only(housing):
    text = report_text(housing)
    assert "Copenhagen housing survey" in text and "Choice model: Satisfaction with the housing" in text
    assert not STUDY_WORDS.search(text), STUDY_WORDS.search(text)
    # the stages left out: one sentence each, no heading over empty tables
    for sentence in ("Measurement: section left out", "Performance: section left out",
                     "Waves and panel: section left out"):
        assert text.count(sentence) == 1
    html = (housing / "report" / "index.html").read_text(encoding="utf-8")
    assert '<section id="performance">' not in html and '<section id="waves">' not in html
    assert html.count("data:image/png;base64,") == 4   # outcome by group, sample flow, coefficients, AMEs

"""The whole pipeline on a second, differently shaped survey given only its own config folder.

examples/anes96 describes the ANES 1996 extract that ships with statsmodels
(``statsmodels.datasets.anes96``): another outcome (party identification, 7 categories), other
predictors, no identifiers, no consent or duration, no Likert scales. The run must reproduce the
Stata 11 ``mlogit`` results that statsmodels ships for it
(``statsmodels/discrete/tests/results/results_discrete.py``, ``Anes.mnlogit_basezero``).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

# whole-pipeline runs: the slow tier (`make test` runs them, `make test-fast` does not)
pytestmark = pytest.mark.slow

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
PREDICTORS = ["logpopul", "selfLR", "age", "educ", "income", "Intercept"]   # the reference's order
PARTIES = ["weak_democrat", "independent_democrat", "independent", "independent_republican", "weak_republican",
           "strong_republican"]


@pytest.fixture(scope="module")
def anes_run(tmp_path_factory):
    import statsmodels.api as sm

    project = tmp_path_factory.mktemp("anes") / "anes96"
    shutil.copytree(ROOT / "examples" / "anes96", project)
    (project / "data" / "raw").mkdir(parents=True, exist_ok=True)
    sm.datasets.anes96.load_pandas().data.to_csv(project / "data" / "raw" / "anes96.csv", index=False)
    result = subprocess.run([SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(project),
                             "--cores", "2"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return project / "results"


def test_mnl_reproduces_statas_mlogit(anes_run):
    from statsmodels.discrete.tests.results.results_discrete import Anes

    reference = Anes.mnlogit_basezero
    table = pd.read_csv(anes_run / "tables" / "choice_mnl.csv").set_index(["outcome", "term"])
    assert set(table["base"]) == {"strong_democrat"}
    for j, party in enumerate(PARTIES):
        rows = table.loc[party].loc[PREDICTORS]
        np.testing.assert_allclose(rows["estimate"], reference.params[:, j], atol=1e-4)
        np.testing.assert_allclose(rows["std_error"], reference.bse[:, j], atol=1e-4)
    fit = pd.read_csv(anes_run / "tables" / "choice_fit.csv").set_index("statistic")["value"]
    assert fit["log_likelihood"] == pytest.approx(reference.llf, abs=1e-3)
    assert fit["n_obs"] == 944


def test_every_stage_produced_its_outputs(anes_run):
    flow = pd.read_csv(anes_run / "qc" / "sample_flow.csv", keep_default_na=False)
    received = flow.query("wave == 'anes1996' and step == 'received'")["n"].item()
    analysed = flow.query("wave == 'anes1996' and step == 'analysed'")["n"].item()
    assert received == analysed == 944
    ordered = pd.read_csv(anes_run / "tables" / "choice_ordered.csv")
    assert ordered["term"].str.contains("|", regex=False).sum() == 6          # 7 ordered parties
    equity = pd.read_csv(anes_run / "tables" / "choice_equity.csv")
    assert set(equity["outcome"]) == {"vote_dole"}
    # the intercept, 6 parties against strong Democrats, age, education and income, with the configured
    # HC3 standard errors and again clustered by respondent (the default alternative beside non-clustered ones)
    performance = pd.read_csv(anes_run / "tables" / "performance_ols.csv")
    assert performance.groupby("se_type").size().to_dict() == {"HC3": 10, "cluster": 10}
    verdicts = pd.read_csv(anes_run / "tables" / "hypotheses.csv").drop_duplicates("hypothesis")
    verdicts = verdicts.set_index("hypothesis")
    assert verdicts.at["A1", "verdict"] == "supported" and verdicts.at["A2", "verdict"] == "supported"
    html = (anes_run / "report" / "index.en.html").read_text(encoding="utf-8")
    assert "ANES 1996: party identification" in html
    # outcome by group, sample flow, coefficients, AMEs, predictions, performance by form, misalignment and
    # the forms' overlap; no scale, Likert or survival figure, and no waves figure for its single wave: that
    # section is left out with one sentence, as the measurement section is
    assert html.count("data:image/png;base64,") == 8
    assert '<section id="waves">' not in html and "the waves sheet lists a single wave" in html
    assert '<section id="measurement">' not in html and '<section id="performance">' in html
    # no word of the alliance study in what the report says (its provenance echoes file and package names);
    # the misalignment measures' names (excess_hierarchy, insufficient_hierarchy) are the stage's own terms
    said = re.sub(r'src="data:[^"]*"', "", html[:html.index('<section id="provenance">')])
    assert not re.search(r"allian|governance|gouvernance|\bfirms?\b|entreprise|sector|secteur|partner|contract",
                         said, re.IGNORECASE)

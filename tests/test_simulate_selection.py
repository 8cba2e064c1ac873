"""The misalignment stage's estimators on the project's own simulator (issue 16, item 4).

The simulator's selection on unobservables (truth.yaml, ``performance.selection_rho``) shares the
normal transform of the chosen form's Gumbel choice error with the performance noise: the
structure Bourguignon, Fournier & Gurgand's normalised Dubin–McFadden correction (``dmf2``)
assumes, with the other forms' terms 0. Over 200 draws of one wave: without selection the
uncorrected and the corrected switching regressions both recover every form's equation; with
rho = 0.6 the uncorrected intercepts are biased and the corrected ones are not. Point estimates
only: the intervals' coverage under the pipeline's two-stage bootstrap is studied on a documented
DGP in tests/stats/test_switching.py (a bootstrap per replication here would take an hour).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliancegov.simulate.population import draw
from alliancegov.simulate.truth import CHOICE_SCALES, FORMS, load_truth, performance_coefficients

REPLICATIONS = 200
FIRMS = 2000
OUTCOME_TERMS = ["Intercept", "trust", "alliance_age", "sector_textile"]


def replication(codebook, seed: int, rho: float) -> pd.DataFrame:
    """One simulated wave: each form's coefficients, uncorrected and DMF2-corrected, on the
    latent performance index (the estimated misfit 1 − P as the alternative-specific regressor)."""
    from alliancegov.stats.mnl import fit_mnl_newton, probabilities
    from alliancegov.stats.selection import switching_regression

    frame = draw(codebook, FIRMS, seed=seed, changes={"performance.selection_rho": rho})
    textile = frame["sector"].eq("textile").to_numpy(float)
    chosen = frame["governance_form"].map({form: code for code, form in enumerate(FORMS)}).to_numpy()
    Z = np.column_stack([np.ones(FIRMS), frame[list(CHOICE_SCALES)].to_numpy(float), textile])
    P = probabilities(Z, fit_mnl_newton(Z, chosen).params)
    centre = load_truth()["performance"]["alliance_age_centre"]
    X = np.column_stack([np.ones(FIRMS), frame["trust"] - 3,
                         frame["survey_year"] - frame["relationship_start_year"] - centre, textile])
    y = frame["true_performance_index"].to_numpy()
    rows = []
    for method in (None, "dmf2"):
        fit = switching_regression(y, X, chosen, P, method, names=OUTCOME_TERMS, labels=list(FORMS),
                                   specific={"misfit": 1 - P})
        for form, coefficients in zip(FORMS, fit.coefficients):
            for term in [*OUTCOME_TERMS, "misfit"]:
                rows.append((method or "uncorrected", form, term, coefficients[term]))
    return pd.DataFrame(rows, columns=["method", "form", "term", "estimate"])


def bias_in_mc_se(codebook, rho: float) -> pd.DataFrame:
    """(mean estimate − truth) / its Monte Carlo SE, by method (columns) and form × term (rows)."""
    table = pd.concat([replication(codebook, 5000 + r, rho) for r in range(REPLICATIONS)])
    truth = performance_coefficients(load_truth()).stack().rename("truth")
    summary = table.groupby(["method", "form", "term"])["estimate"].agg(["mean", "std"])
    summary = summary.join(truth, on=["form", "term"])
    return ((summary["mean"] - summary["truth"]) / (summary["std"] / np.sqrt(REPLICATIONS))).unstack("method")


@pytest.mark.slow  # 400 simulated waves of 2,000 firms (~2 min)
def test_the_project_simulator_tells_selection_apart(codebook):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        without, with_selection = bias_in_mc_se(codebook, 0.0), bias_in_mc_se(codebook, 0.6)
    assert (without.abs() < 4).all().all(), without.round(1)
    intercepts = with_selection.xs("Intercept", level="term")
    assert (intercepts["uncorrected"].abs() > 5).all(), intercepts.round(1)
    assert (with_selection["dmf2"].abs() < 4).all(), with_selection.round(1)

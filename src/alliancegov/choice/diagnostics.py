"""The choice model's tests, fit statistics, classification and small-sample checks, as SPost's
``mlogtest`` and ``fitstat`` report them.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from alliancegov.choice.design import ChoiceDesign
from alliancegov.choice.model import ChoiceFit
from alliancegov.choice.spec import ChoiceSpec

SMALL_EVENTS_PER_PARAMETER = 10  # Peduzzi et al. (1996)'s rule of thumb, reported per equation


TEST_COLUMNS = ["test", "hypothesis", "df", "statistic", "p_value", "note"]


def _attempt(test: str, compute) -> pd.DataFrame:
    """Run one family of tests; a numerical failure becomes a row saying so, never a silent gap."""
    from alliancegov.model_checks import not_computed

    try:
        return compute()
    except (np.linalg.LinAlgError, ValueError, RuntimeError) as error:
        return pd.DataFrame([{"test": test, "hypothesis": "", "df": np.nan, "statistic": np.nan,
                              "p_value": np.nan, "note": not_computed(error)}])


def test_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Tests as SPost's ``mlogtest``: Wald and LR per term, combining outcomes, IIA.

    Wald tests use the configured covariance; LR and IIA tests refit the model by maximum
    likelihood, so they are left out with frequency weights or a survey design.

    Parameters
    ----------
    fit : ChoiceFit
        The fitted model (coefficients and the configured covariance).
    design : ChoiceDesign
        Its design, terms and outcome levels.
    spec : ChoiceSpec
        ``seed`` of the Small–Hsiao random half split.

    Returns
    -------
    DataFrame
        Columns ``test, hypothesis, df, statistic, p_value, note``: ``wald_term`` and ``lr_term``
        rows per term (every coefficient of the term zero in all equations), ``combine_wald`` and
        ``combine_lr`` rows per pair of outcomes (``a = b``), ``iia_hausman_mcfadden`` and
        ``iia_small_hsiao`` rows per omitted outcome. A family of tests that fails numerically
        becomes one row whose ``note`` says so, never a silent gap.
    """
    from alliancegov.stats.mnl_tests import combine_outcomes_tests, iia_tests, lr_test_terms, wald_test_terms

    X, names = design.X.to_numpy(), list(design.X.columns)
    terms = {term: columns for term, columns in design.terms.items() if term != "Intercept"}
    fitted = SimpleNamespace(params=fit.params, cov_params=lambda: fit.cov)
    likelihood_tests = design.weights is None and design.survey is None

    def term_tests(kind: str, compute):
        return lambda: compute().assign(test=kind).rename(columns={"term": "hypothesis"})

    def combine():
        table = combine_outcomes_tests(design.y, X, fitted, cov=fit.cov, labels=design.levels,
                                       tests=("wald", "lr") if likelihood_tests else ("wald",))
        table["hypothesis"] = table["outcome_a"].astype(str) + " = " + table["outcome_b"].astype(str)
        return table.assign(test="combine_" + table["test"])

    def iia():
        table = iia_tests(design.y, X, spec.seed, labels=design.levels)
        table["hypothesis"] = "omitting " + table["omitted"].astype(str)
        return table.assign(test="iia_" + table["test"].astype(str))

    parts = [_attempt("wald_term", term_tests("wald_term", lambda: wald_test_terms(fitted, names, terms, cov=fit.cov))),
             _attempt("combine", combine)]
    if likelihood_tests:
        parts += [_attempt("lr_term", term_tests("lr_term", lambda: lr_test_terms(design.y, X, names, terms))),
                  _attempt("iia", iia)]
    table = pd.concat(parts, ignore_index=True)
    table["note"] = table["note"].fillna("") if "note" in table else ""
    return table[TEST_COLUMNS]


def fit_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Fit statistics (SPost ``fitstat``) plus rows used, rows left out, clusters, convergence.

    Parameters
    ----------
    fit : ChoiceFit
        The fitted model.
    design : ChoiceDesign
        Its design, weights and clusters.
    spec : ChoiceSpec
        Not used; the signature is that of the other tables.

    Returns
    -------
    DataFrame
        Columns ``statistic, value``: the rows of :func:`alliancegov.stats.mnl_tests.fit_statistics`
        (log-likelihoods, LR chi², pseudo-R², AIC, BIC, ``n_obs``, ``n_params``), then ``n_missing``
        (rows left out), ``n_clusters`` (NaN unless clustered) and ``converged`` (1 or 0). Under a
        survey design, a pseudo-likelihood, the likelihood-based rows (``lr_chi2``, ``lr_df``,
        ``lr_p_value``, ``aic``, ``bic``, ``aic_per_obs``, ``bic_prime``) are left out.
    """
    from alliancegov.stats.mnl_tests import fit_statistics

    table = fit_statistics(design.y, fit.probabilities, fit.loglik, fit.params.size, weights=design.weights)
    if design.survey is not None:  # a pseudo-likelihood: likelihood-based statistics do not apply
        table = table[~table["statistic"].isin(["lr_chi2", "lr_df", "lr_p_value", "aic", "bic", "aic_per_obs",
                                                "bic_prime"])]
    extra = pd.DataFrame({
        "statistic": ["n_missing", "n_clusters", "converged"],
        "value": [float(design.n_missing),
                  float(len(np.unique(design.groups))) if design.groups is not None else np.nan,
                  float(fit.converged)],
    })
    return pd.concat([table, extra], ignore_index=True)


def classification(fit: ChoiceFit, design: ChoiceDesign) -> pd.DataFrame:
    """Observed × predicted (highest probability) counts with margins.

    Parameters
    ----------
    fit : ChoiceFit
        The fitted probabilities.
    design : ChoiceDesign
        The observed outcome codes and their labels.

    Returns
    -------
    DataFrame
        Column ``observed`` (each outcome, then ``Total``), then one count column per predicted
        outcome and ``Total``.
    """
    from alliancegov.stats.mnl_tests import classification_table

    table = classification_table(design.y, fit.probabilities, labels=design.levels)
    return table.rename_axis(index="observed", columns=None).reset_index()


def small_sample_table(design: ChoiceDesign) -> pd.DataFrame:
    """Per non-base outcome: events per parameter and separation in the base-vs-outcome problem.

    Parameters
    ----------
    design : ChoiceDesign
        The design matrix, outcome codes and levels.

    Returns
    -------
    DataFrame
        One row per non-base outcome: ``outcome, events`` (the smaller of the base's and the
        outcome's counts), ``parameters`` (columns of the design), ``events_per_parameter``,
        ``separated``, ``kind`` (``none``, ``quasi-complete``, ``complete``), ``implicated`` (the
        design columns involved, space-separated) and ``few_events`` (fewer than
        ``SMALL_EVENTS_PER_PARAMETER`` events per parameter, Peduzzi et al.'s rule of thumb).
    """
    from alliancegov.stats.separation import detect_separation, events_per_parameter

    epp = events_per_parameter(design.y, design.X.shape[1])
    separation = detect_separation(design.X.to_numpy(), design.y, names=list(design.X.columns))
    table = epp.merge(separation[["outcome", "separated", "kind", "implicated"]], on="outcome", how="left")
    table["implicated"] = table["implicated"].map(lambda cols: " ".join(cols) if isinstance(cols, tuple) else "")
    table["outcome"] = np.asarray(design.levels, dtype=object)[table["outcome"].to_numpy(int)]
    table["few_events"] = table["events_per_parameter"] < SMALL_EVENTS_PER_PARAMETER
    return table

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


def _adjusted(table: pd.DataFrame, design_df: float | None) -> pd.DataFrame:
    """Wald rows as the adjusted F of a survey design (statistic, p-value, and a note of the df)."""
    from alliancegov.stats.mnl_tests import design_adjusted_f

    if design_df is None:
        return table
    table = table.copy()
    for index, row in table.iterrows():
        f, denominator, p_value = design_adjusted_f(row["statistic"], int(row["df"]), design_df)
        table.loc[index, ["statistic", "p_value"]] = f, p_value
        table.loc[index, "note"] = f"adjusted Wald F({int(row['df'])}, {denominator:g}) of the survey design"
    return table


def test_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Tests as SPost's ``mlogtest``: per term, combining outcomes, IIA.

    Wald tests use the configured covariance. Likelihood-ratio tests assume the model's own
    covariance (independent observations), so they are reported only when ``cov_type`` is
    ``model`` (Stata refuses ``lrtest`` after ``vce(robust)`` or ``vce(cluster)``); under a survey
    design the Wald tests become adjusted F tests. The classic Hausman–McFadden and Small–Hsiao IIA
    tests also assume independent observations and are left out unless ``cov_type`` is ``model``;
    the generalised (suest) Hausman test, robust and clustered as the model is, is always reported.
    The likelihood-ratio and IIA tests refit unweighted models: with frequency weights or a survey
    design they are not computed, and a row per family says so (the nested logit of
    ``choice_nested`` tests IIA with the weights).

    Parameters
    ----------
    fit : ChoiceFit
        The fitted model (coefficients and the configured covariance).
    design : ChoiceDesign
        Its design, terms, outcome levels and clusters.
    spec : ChoiceSpec
        ``cov_type``; ``seed`` and ``iia_splits`` of the Small–Hsiao splits.

    Returns
    -------
    DataFrame
        Columns ``test, hypothesis, df, statistic, p_value, note``: ``wald_term`` (and with model
        covariance ``lr_term``) rows per term (every coefficient of the term zero in all
        equations); ``combine_wald`` (and ``combine_lr``) rows per pair of outcomes (``a = b``);
        per omitted outcome ``iia_suest_hausman`` and, with model covariance,
        ``iia_hausman_mcfadden`` (undefined, statistic and p-value missing, when the statistic is
        negative) and ``iia_small_hsiao`` (the median statistic and p-value over
        ``spec.iia_splits`` random half splits, with the share of splits rejecting at 5% in the
        note). A family of tests that fails numerically becomes one row whose ``note`` says so,
        never a silent gap.
    """
    from alliancegov.stats.mnl_tests import (
        combine_outcomes_tests,
        hausman_mcfadden,
        lr_test_terms,
        small_hsiao_splits,
        suest_hausman,
        wald_test_terms,
    )

    X, names = design.X.to_numpy(), list(design.X.columns)
    terms = {term: columns for term, columns in design.terms.items() if term != "Intercept"}
    fitted = SimpleNamespace(params=fit.params, cov_params=lambda: fit.cov)
    unweighted = design.weights is None and design.survey is None
    likelihood_tests = unweighted and spec.cov_type == "model"
    design_df = fit.df_resid if design.survey is not None else None

    def term_tests(kind: str, compute):
        return lambda: compute().assign(test=kind).rename(columns={"term": "hypothesis"})

    def wald_terms():
        return _adjusted(term_tests("wald_term", lambda: wald_test_terms(fitted, names, terms, cov=fit.cov))()
                         .assign(note=""), design_df)

    def combine():
        table = combine_outcomes_tests(design.y, X, fitted, cov=fit.cov, labels=design.levels,
                                       tests=("wald", "lr") if likelihood_tests else ("wald",))
        table["hypothesis"] = table["outcome_a"].astype(str) + " = " + table["outcome_b"].astype(str)
        table = table.assign(test="combine_" + table["test"], note="")
        wald = table["test"] == "combine_wald"
        return pd.concat([_adjusted(table[wald], design_df), table[~wald]]).sort_index()

    def iia():
        rows = []
        for omitted in range(1, len(design.levels)):
            label = f"omitting {design.levels[omitted]}"
            suest = suest_hausman(design.y, X, omitted, groups=design.groups if spec.cov_type == "cluster" else None,
                                  start=fit.params)
            clustered = " clustered by firm" if spec.cov_type == "cluster" else ""
            rows.append(("iia_suest_hausman", label, suest.df, suest.statistic, suest.p_value,
                         f"generalised Hausman test with the suest covariance{clustered}"))
            if spec.cov_type != "model":
                continue
            classic = hausman_mcfadden(design.y, X, omitted)
            if classic.statistic < 0:
                rows.append(("iia_hausman_mcfadden", label, classic.df, np.nan, np.nan,
                             f"undefined: the statistic is negative ({classic.statistic:.3f}), so V_r - V_f is not "
                             "a covariance matrix in this sample (Hausman & McFadden 1984)"))
            else:
                rows.append(("iia_hausman_mcfadden", label, classic.df, classic.statistic, classic.p_value, ""))
            splits = small_hsiao_splits(design.y, X, omitted, spec.seed, spec.iia_splits).dropna()
            rejecting = float((splits["p_value"] < 0.05).mean()) if len(splits) else np.nan
            rows.append(("iia_small_hsiao", label, splits["df"].median(), splits["statistic"].median(),
                         splits["p_value"].median(),
                         f"median over {len(splits)} random half splits; p < 0.05 in {rejecting:.0%} of them"))
        return pd.DataFrame(rows, columns=TEST_COLUMNS)

    parts = [_attempt("wald_term", wald_terms), _attempt("combine", combine)]
    if likelihood_tests:
        parts.append(_attempt("lr_term", term_tests("lr_term", lambda: lr_test_terms(design.y, X, names, terms))))
    if unweighted:
        parts.append(_attempt("iia", iia))
    else:
        option = "choice.weights (frequency weights)" if design.weights is not None else "a survey design"
        refused = [("lr_term", "the likelihood-ratio tests of terms and of combining outcomes")] \
            if spec.cov_type == "model" else []
        refused.append(("iia", "the IIA tests (suest Hausman, Hausman–McFadden, Small–Hsiao)"))
        parts.append(pd.DataFrame([{"test": test, "hypothesis": "", "df": np.nan, "statistic": np.nan,
                                    "p_value": np.nan, "note": f"not computed with {option}: {what} refit unweighted "
                                    "models on independent rows; the Wald tests above use the weighted fit's "
                                    "covariance, and choice_nested tests IIA with the weights"}
                                   for test, what in refused]))
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
        ``cov_type``: the test that every slope is 0 is the likelihood-ratio χ² with model
        covariance, else a Wald χ² with the configured covariance (an adjusted F under a survey
        design), as Stata's ``mlogit`` header reports it.

    Returns
    -------
    DataFrame
        Columns ``statistic, value``: the rows of :func:`alliancegov.stats.mnl_tests.fit_statistics`
        (log-likelihoods, pseudo-R², AIC, BIC, ``n_obs``, ``n_params``; ``lr_chi2``, ``lr_df``,
        ``lr_p_value`` only with model covariance, else ``wald_chi2``, ``wald_df``,
        ``wald_p_value``, or ``wald_f``, ``wald_df``, ``wald_df_denominator``, ``wald_p_value``
        under a design), then ``n_missing`` (rows left out), ``n_clusters`` (NaN unless clustered)
        and ``converged`` (1 or 0). Under a survey design, a pseudo-likelihood, the
        likelihood-based rows (``aic``, ``bic``, ``aic_per_obs``, ``bic_prime``, the null
        log-likelihood and the pseudo-R²) are left out.
    """
    from alliancegov.stats.mnl_tests import design_adjusted_f, fit_statistics, wald_test_terms

    table = fit_statistics(design.y, fit.probabilities, fit.loglik, fit.params.size, weights=design.weights)
    likelihood_based = ["lr_chi2", "lr_df", "lr_p_value"]
    if design.survey is not None:   # a pseudo-likelihood: likelihood-based statistics do not apply
        # (and the null log-likelihood is unweighted while the pseudo-log-likelihood sums the sampling
        # weights: their pseudo-R² would mix the two; Stata's svy mlogit reports none of them)
        likelihood_based += ["aic", "bic", "aic_per_obs", "bic_prime", "log_likelihood_null", "mcfadden_r2",
                             "mcfadden_adj_r2", "cox_snell_r2", "nagelkerke_r2"]
    rows = []
    if spec.cov_type != "model" or design.survey is not None:
        table = table[~table["statistic"].isin(likelihood_based)]
        slopes = {"all slopes": [name for name in design.X.columns if name != "Intercept"]}
        wald = wald_test_terms(SimpleNamespace(params=fit.params), list(design.X.columns), slopes, cov=fit.cov).iloc[0]
        if design.survey is not None:
            f, denominator, p_value = design_adjusted_f(wald["statistic"], int(wald["df"]), fit.df_resid)
            rows = [("wald_f", f), ("wald_df", float(wald["df"])), ("wald_df_denominator", float(denominator)),
                    ("wald_p_value", p_value)]
        else:
            rows = [("wald_chi2", wald["statistic"]), ("wald_df", float(wald["df"])),
                    ("wald_p_value", wald["p_value"])]
    extra = pd.DataFrame(rows + [
        ("n_missing", float(design.n_missing)),
        ("n_clusters", float(len(np.unique(design.groups))) if design.groups is not None else np.nan),
        ("converged", float(fit.converged)),
    ], columns=["statistic", "value"])
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

    table = classification_table(design.y, fit.probabilities, labels=design.levels, weights=design.weights)
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

    epp = events_per_parameter(design.units()[1], design.X.shape[1])   # events are firms, weights expanded
    separation = detect_separation(design.X.to_numpy(), design.y, names=list(design.X.columns))
    table = epp.merge(separation[["outcome", "separated", "kind", "implicated"]], on="outcome", how="left")
    table["implicated"] = table["implicated"].map(lambda cols: " ".join(cols) if isinstance(cols, tuple) else "")
    table["outcome"] = np.asarray(design.levels, dtype=object)[table["outcome"].to_numpy(int)]
    table["few_events"] = table["events_per_parameter"] < SMALL_EVENTS_PER_PARAMETER
    return table

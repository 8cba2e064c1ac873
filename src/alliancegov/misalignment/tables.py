"""The misalignment stage's three tables from the two-stage bootstrap: the pooled measures
(``misalignment``), the switching regressions (``misalignment_switching``) and the counterfactual
performance (``misalignment_counterfactual``), each with bias-corrected intervals, p-values and a
note saying what they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.misalignment.spec import MisalignmentSpec
from alliancegov.misalignment.switching import COUNTERFACTUAL, MEASURES, SWITCHING, switching_models
from alliancegov.misalignment.two_stage import TwoStageData

INTERVAL = "Bias-corrected (BC)"
PRIMARY = "misfit"                 # the pooled model of the primary measure
JOINT_TERM = "selection terms (joint)"
TESTED_COUNTERFACTUAL_TERMS = ("ate",)   # the counterfactual rows with a null of 0 worth testing
# Rows built on a maximum over forms (the best predicted form): not smooth functions of the estimates, so the
# bias correction's premise (a monotone transformation to a symmetric pivot) fails; in the Monte Carlo of
# tests/stats/test_switching.py the BC interval of the Lee-corrected mean gap covered the truth 78% of the
# time over 200 samples, the percentile interval 96% (uncorrected, rho = 0: 94% and 96%).
PERCENTILE_TERMS = ("mean_gap", "share_in_best_form", "share_predicted_best")

SWITCHING_NOTE = (
    "One OLS of {outcome} per governance form on the firms in that form (Lee 1983; Bourguignon, Fournier & "
    "Gurgand 2007), coefficients in outcome units{misfit}. Selection terms as Stata's selmlog signs them: "
    "lee = −φ(Φ⁻¹(P))/P of the form's own probability P, coefficient σρ (positive: the firms in the form do worse "
    "in it than a random firm with the same regressors would); dmf[f] = E[η_f − Euler | the form chosen] (−ln P "
    "for the form itself; a positive own coefficient: firms with an unobserved taste for their form do better in "
    "it); dmf0 leaves the own term out (Σ r = 0); dmf2 uses the normal transforms of the choice errors. "
    "Identified by leaving {excluded} out of the performance equations{strength}. '{joint}': bootstrap Wald test "
    "that the form's selection terms are all 0 (b'V⁻¹b with V the resamples' covariance, on df = the rank of V; "
    "p = (1 + #)/(B + 1)). ")
COUNTERFACTUAL_NOTE = (
    "Predicted {outcome} of every firm under every form from each model's per-form equations, the selection "
    "terms at their population mean 0 (Masten, Meehan & Snyder 1991; Leiblein, Reuer & Dalsace 2002; Hamilton "
    "& Nickerson 2003): potential_mean averages it over all firms; ate is that minus the {base} mean (tested "
    "against 0); mean_gap is the performance forgone against the firm's best predicted form and "
    "share_in_best_form the share of firms already in it (form 'all': every firm; a form: the firms in it); "
    "share_predicted_best is the share of firms for which the form is best. No p-value for the gaps, shares and "
    "means: a maximum over forms is positive by construction (and biased upward when estimated), a share lies "
    "in [0, 1]. The rows built on the best predicted form (gaps and shares) have percentile intervals (column "
    "interval): a maximum is not a smooth function of the estimates, and bias-corrected intervals under-cover it. "
    "With a selection term per form (dmf, dmf2) the predictions are noisy in samples of this size and their gap "
    "is biased upward (in a Monte Carlo of 1,000 firms, 1.33 and 1.05 for a true 0.62, where the uncorrected, lee "
    "and dmf0 gaps were 0.62, 0.73 and 0.78): read them beside the others. ")
MEASURES_NOTE = (
    "Pooled OLS of {outcome} on the controls and one misalignment measure. Primary: misfit, 1 − the predicted "
    "probability of the chosen form. Secondary: the 0/1 mismatch (the chosen form is not the modal prediction) "
    "and its direction; {accuracy}. ")


def bootstrap_columns(point: np.ndarray, draws: np.ndarray, level: float) -> pd.DataFrame:
    """Estimate, bootstrap SE, BC interval and BC p-value of every estimate.

    Parameters
    ----------
    point : ndarray of shape (p,)
        The full-sample estimates.
    draws : ndarray of shape (B_ok, p)
        The successful resamples.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``estimate, std_error, statistic, p_value, conf_low, conf_high``: ``statistic`` is the
        normal quantile of the p-value (see ``stats.bootstrap.normal_equivalent``).
    """
    from alliancegov.stats.bootstrap import bca_intervals, bca_p_values, normal_equivalent

    if len(draws):
        p_values = bca_p_values(draws, point)
        low, high = bca_intervals(draws, point, level)
    else:
        p_values = low = high = np.full(len(point), np.nan)
    return pd.DataFrame({"estimate": point, "std_error": draws.std(axis=0, ddof=1) if len(draws) > 1 else np.nan,
                         "statistic": normal_equivalent(p_values, point), "p_value": p_values,
                         "conf_low": low, "conf_high": high})


def centring_sentence(data: TwoStageData) -> str:
    """The covariates centred, and at what, for the notes ("" when none is).

    Parameters
    ----------
    data : TwoStageData
        Its ``centred`` means.

    Returns
    -------
    str
        E.g. "Covariates centred at their mean over the 861 firms used: trust 3.41, ... (the
        intercepts are at those means). "
    """
    if not data.centred:
        return ""
    means = ", ".join(f"{name} {mean:.3g}" for name, mean in data.centred.items())
    return (f"Covariates centred at their mean over the {len(data.chosen)} firms used: {means} (the intercepts are "
            "at those means and at the reference level of every factor). ")


def _strength_clause(strength: pd.DataFrame | None) -> str:
    rows = strength[strength["test"] == "wald_excluded_variables"] if strength is not None else []
    if not len(rows):
        return ""
    row = rows.iloc[0]
    return (f"; their joint strength in the choice model: Wald χ²({int(row['df'])}) = {row['statistic']:.1f}, "
            f"p = {row['p_value']:.2g}")


def _joint_rows(table: pd.DataFrame, draws: np.ndarray, point: np.ndarray) -> pd.DataFrame:
    """One ``selection terms (joint)`` row per corrected model and form (``table`` indexed by the
    positions of its estimates in ``point``, with a boolean ``selection_term`` column)."""
    from alliancegov.stats.selection import joint_bootstrap_test

    rows = []
    for (model, form), group in table[table["selection_term"]].groupby(["model", "form"], sort=False):
        statistic, df, p = joint_bootstrap_test(draws, point, list(group.index))
        rows.append({"model": model, "form": form, "term": JOINT_TERM, "statistic": statistic, "df": float(df),
                     "p_value": p})
    return pd.DataFrame(rows, columns=["model", "form", "term", "statistic", "df", "p_value"])


def misalignment_tables(data: TwoStageData, spec: MisalignmentSpec, point: pd.Series, result,
                        strength: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The stage's tables from the full-sample estimates ``point`` and the bootstrap ``result``.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices (forms, the per-form equation's columns, the centring).
    spec : MisalignmentSpec
        The outcome, the number of resamples, the confidence level.
    point : Series
        :func:`alliancegov.misalignment.switching.all_estimates` on every firm.
    result : stats.bootstrap.BootstrapResult
        Its resamples, in the order of ``point``.
    strength : DataFrame, optional
        :func:`alliancegov.misalignment.first_stage.first_stage_strength` (for the notes).

    Returns
    -------
    dict of str to DataFrame
        ``misalignment``: ``model, outcome, term, role`` (primary or secondary), the
        :func:`bootstrap_columns`, ``n_ok, share_failed, note``; when the estimates include the
        switching regressions, ``misalignment_switching``: ``model, form, term``, the
        :func:`bootstrap_columns`, ``df`` (of the joint rows), ``n`` (firms in the form),
        ``n_ok, share_failed, note``, a ``selection terms (joint)`` row after each corrected
        equation; and ``misalignment_counterfactual``: ``model, form, term``, the columns, p-values
        and statistics only for ``ate``, ``n_ok, share_failed, note``.

    Raises
    ------
    ValueError
        If ``result`` does not hold ``spec.bootstrap_replicates`` resamples.
    """
    from alliancegov.choice.bootstrap import BOOTSTRAP_NOTE
    from alliancegov.misalignment.first_stage import accuracy_sentence

    if result.n_boot != spec.bootstrap_replicates:
        raise ValueError(f"the bootstrap holds {result.n_boot} resamples, not {spec.bootstrap_replicates}")
    draws = result.estimates[result.ok]
    values = point.to_numpy(float)
    frame = pd.concat([point.index.to_frame(index=False), bootstrap_columns(values, draws, spec.level)], axis=1)
    resampled = " of firms (both stages refitted on each)" if spec.bootstrap_uses_refits(len(data.chosen)) else (
        f" of firms (on each, the first stage by Newton steps from its full-sample estimates with the full-sample "
        f"information until within {spec.bootstrap_step_tolerance:g} model-based SEs of the resample's own optimum, "
        f"k-step bootstrap, Davidson & MacKinnon 1999, Andrews 2002; the second stages refitted on what it gives)")
    ending = centring_sentence(data) + BOOTSTRAP_NOTE.format(interval=INTERVAL, ok=result.n_ok,
                                                             replicates=result.n_boot, clusters=resampled)
    done = {"n_ok": result.n_ok, "share_failed": result.share_failed}

    measures = frame[frame["table"] == MEASURES].drop(columns=["table", "form"])
    measures.insert(1, "outcome", spec.outcome)
    measures.insert(3, "role", np.where(measures["model"] == PRIMARY, "primary", "secondary"))
    accuracy = accuracy_sentence(strength) if strength is not None else "they rest on the modal prediction"
    tables = {MEASURES: measures.assign(**done, note=MEASURES_NOTE.format(outcome=spec.outcome, accuracy=accuracy)
                                        + ending).reset_index(drop=True)}
    if data.equation is None:
        return tables

    switching = frame[frame["table"] == SWITCHING].drop(columns="table")
    regressors = [*data.equation.columns, *(["misfit"] if data.form_misfit else [])]
    switching["selection_term"] = ~switching["term"].isin(regressors)
    joint = _joint_rows(switching, draws, values)
    order = {model: i for i, model in enumerate(switching_models(data))}
    switching = pd.concat([switching.drop(columns="selection_term"), joint], ignore_index=True)
    switching["rank"] = switching["model"].map(order) * len(data.labels) + switching["form"].map(
        {form: i for i, form in enumerate(data.labels)})
    switching = switching.sort_values("rank", kind="stable").drop(columns="rank").reset_index(drop=True)
    switching["n"] = switching["form"].map(dict(zip(data.labels, np.bincount(data.chosen, minlength=len(data.labels)))))
    misfit = ("; misfit is the firm's misfit with the form, 1 − its predicted probability (the counterfactual under "
              "another form uses the misfit with that form)") if data.form_misfit else ""
    excluded = ", ".join(spec.excluded) or "no variable"
    note = SWITCHING_NOTE.format(outcome=spec.outcome, misfit=misfit, joint=JOINT_TERM, excluded=excluded,
                                 strength=_strength_clause(strength))
    tables[SWITCHING] = switching.assign(**done, note=note + ending)

    counterfactual = frame[frame["table"] == COUNTERFACTUAL].drop(columns="table")
    untested = ~counterfactual["term"].isin(TESTED_COUNTERFACTUAL_TERMS)
    counterfactual.loc[untested, ["statistic", "p_value"]] = np.nan
    by_maximum = counterfactual["term"].isin(PERCENTILE_TERMS)
    counterfactual.insert(counterfactual.columns.get_loc("conf_high") + 1, "interval",
                          np.where(by_maximum, "percentile", "BC"))
    if len(draws):
        positions = counterfactual.index[by_maximum]
        bounds = np.quantile(draws[:, positions], [(1 - spec.level) / 2, (1 + spec.level) / 2], axis=0)
        counterfactual.loc[positions, "conf_low"], counterfactual.loc[positions, "conf_high"] = bounds
    counterfactual = counterfactual.reset_index(drop=True)
    tables[COUNTERFACTUAL] = counterfactual.assign(**done, note=COUNTERFACTUAL_NOTE.format(
        outcome=spec.outcome, base=data.labels[0]) + ending)
    return tables

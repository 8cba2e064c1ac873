"""The switching regressions of performance on the per-form equation (one per governance form, with
that form's selection terms) and the counterfactual performance of every firm under every form
(Masten, Meehan & Snyder 1991; Leiblein, Reuer & Dalsace 2002; Hamilton & Nickerson 2003), as the
flat estimates the two-stage bootstrap resamples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.misalignment.two_stage import TwoStageData

# The tables of the misalignment stage, as the first level of the estimates' index.
MEASURES, SWITCHING, COUNTERFACTUAL = "misalignment", "misalignment_switching", "misalignment_counterfactual"
UNCORRECTED = "uncorrected"        # the switching model without selection terms (regression adjustment)
ALL_FORMS = "all"                  # the form of the counterfactual rows over every firm
INDEX = ["table", "model", "form", "term"]


def form_regressors(data: TwoStageData, probabilities: np.ndarray) -> dict[str, np.ndarray]:
    """The alternative-specific regressors of the per-form equations: ``misfit`` (1 − the predicted
    probability of each form, (n, J)) when ``data.form_misfit``, else none.

    Parameters
    ----------
    data : TwoStageData
        Its ``form_misfit``.
    probabilities : ndarray of shape (n, J)
        The first stage's probabilities.

    Returns
    -------
    dict of str to ndarray of shape (n, J)
        For :func:`alliancegov.stats.selection.switching_regression`'s ``specific``.
    """
    return {"misfit": 1.0 - probabilities} if data.form_misfit else {}


def switching_models(data: TwoStageData) -> list[str]:
    """The switching models: the uncorrected one, then one per selection correction.

    Parameters
    ----------
    data : TwoStageData
        Its ``selection`` methods.

    Returns
    -------
    list of str
        ``uncorrected`` then the methods.
    """
    return [UNCORRECTED, *data.selection]


def check_form_equations(data: TwoStageData, probabilities: np.ndarray) -> None:
    """Stop, in a sentence naming the form and the columns, when a form's equation cannot be
    fitted on all firms: no more firms in it than coefficients, or collinear columns.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices, with a per-form ``equation``.
    probabilities : ndarray of shape (n, J)
        The first stage's probabilities on every firm.

    Raises
    ------
    ModelSpecificationError
        From :func:`alliancegov.model_checks.check_parameters` or ``check_rank``.
    """
    from alliancegov.misalignment.spec import SECOND_STAGE
    from alliancegov.model_checks import check_parameters, check_rank
    from alliancegov.stats.selection import selection_terms

    specific = form_regressors(data, probabilities)
    for model in switching_models(data):
        terms = (selection_terms(probabilities, data.chosen, model, labels=list(data.labels))
                 if model != UNCORRECTED else pd.DataFrame(index=data.equation.index))
        for j, form in enumerate(data.labels):
            rows = data.chosen == j
            own = [t for t in terms.columns if t != f"dmf0[{form}]"]
            design = pd.concat([data.equation[rows], pd.DataFrame({name: values[rows, j] for name, values in
                                                                   specific.items()}, index=data.equation.index[rows]),
                                terms.loc[rows, own]], axis=1)
            where = f"{SECOND_STAGE} ({model}, the equation of {form})"
            check_parameters(int(rows.sum()), design.columns, where)
            check_rank(design, where)


def counterfactual_summary(predictions: np.ndarray, chosen: np.ndarray, labels: list[str]) -> pd.Series:
    """What the counterfactual predictions say about the firms, indexed by (form, term).

    Parameters
    ----------
    predictions : ndarray of shape (n, J)
        Each firm's predicted performance under each form (outcome units).
    chosen : ndarray of shape (n,)
        The forms' codes.
    labels : list of str
        The J forms; the first is the reference of ``ate``.

    Returns
    -------
    Series
        (``all``, ``mean_gap``): the mean performance forgone against the best predicted form;
        (``all``, ``share_in_best_form``): the share of firms already in it; and per form:
        ``potential_mean`` (its predicted performance averaged over every firm), ``ate`` (that
        minus the first form's; not for the first form), ``share_predicted_best`` (the share of
        firms for which it is the best), ``mean_gap`` and ``share_in_best_form`` among the firms
        in it (NaN when none is).
    """
    from alliancegov.stats.selection import counterfactual_gap

    gap, best = counterfactual_gap(predictions, chosen)
    in_best = (best == chosen).astype(float)
    J = len(labels)
    firms = np.bincount(chosen, minlength=J).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):   # a form no firm is in: NaN, as documented
        form_gap = np.bincount(chosen, weights=gap, minlength=J) / firms
        form_in_best = np.bincount(chosen, weights=in_best, minlength=J) / firms
    predicted_best = np.bincount(best, minlength=J) / len(best)
    values = {(ALL_FORMS, "mean_gap"): gap.mean(), (ALL_FORMS, "share_in_best_form"): in_best.mean()}
    potential = predictions.mean(axis=0)
    for j, form in enumerate(labels):
        values[(form, "potential_mean")] = potential[j]
        if j:
            values[(form, "ate")] = potential[j] - potential[0]
        values[(form, "share_predicted_best")] = predicted_best[j]
        values[(form, "mean_gap")] = form_gap[j]
        values[(form, "share_in_best_form")] = form_in_best[j]
    return pd.Series(values)


def switching_estimates(data: TwoStageData, rows: np.ndarray, probabilities: np.ndarray) -> pd.Series:
    """The switching coefficients and the counterfactual summaries of every model on ``rows``.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices, with a per-form ``equation``.
    rows : ndarray of int
        Positions of the firms (repeats allowed).
    probabilities : ndarray of shape (len(rows), J)
        The first stage's probabilities on ``rows``.

    Returns
    -------
    Series
        Indexed by (``table``, ``model``, ``form``, ``term``): the ``misalignment_switching``
        coefficients (outcome units) of each model and form, then the
        ``misalignment_counterfactual`` values of :func:`counterfactual_summary`.
    """
    from alliancegov.stats.selection import counterfactual_predictions, switching_regressions

    X = data.equation.to_numpy(float)[rows]
    chosen = data.chosen[rows]
    specific = form_regressors(data, probabilities)
    models = switching_models(data)
    fits = switching_regressions(data.outcome[rows], X, chosen, probabilities,
                                 [None if model == UNCORRECTED else model for model in models],
                                 names=list(data.equation.columns), labels=list(data.labels), specific=specific)
    values = {}
    for model, fit in zip(models, fits.values(), strict=True):
        for form, coefficients in zip(data.labels, fit.coefficients):
            values.update({(SWITCHING, model, form, term): value for term, value in coefficients.items()})
        summary = counterfactual_summary(counterfactual_predictions(X, fit, specific), chosen, list(data.labels))
        values.update({(COUNTERFACTUAL, model, form, term): value for (form, term), value in summary.items()})
    return pd.Series(values)


def all_estimates(data: TwoStageData, rows: np.ndarray | None = None, start: np.ndarray | None = None, *,
                  switching: bool = True, probabilities: np.ndarray | None = None) -> pd.Series:
    """Both stages on ``rows`` (all when None), every estimate the misalignment tables show.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices.
    rows : ndarray of int, optional
        Positions of the firms (repeats allowed); None for all.
    start : ndarray of shape (k, J-1), optional
        Starting coefficients of the first stage's Newton iterations.
    switching : bool
        False leaves out the switching regressions and the counterfactual (the pooled models only);
        they are left out anyway without a per-form ``equation``.
    probabilities : ndarray of shape (len(rows), J), optional
        The first stage's probabilities on ``rows`` when already estimated (by Newton steps in the
        k-step bootstrap); by default the first stage is fitted on ``rows``.

    Returns
    -------
    Series
        Indexed by (``table``, ``model``, ``form``, ``term``): the pooled models' coefficients
        (table ``misalignment``, form empty), then :func:`switching_estimates`.
    """
    rows = np.arange(len(data.chosen)) if rows is None else rows
    P = data.first_stage_probabilities(rows, start) if probabilities is None else probabilities
    values = {(MEASURES, model, "", term): value
              for model, coefficients in data.estimates(rows, probabilities=P).items()
              for term, value in coefficients.items()}
    pooled = pd.Series(values)
    if not switching or data.equation is None:
        return pooled.rename_axis(INDEX)
    return pd.concat([pooled, switching_estimates(data, rows, P)]).rename_axis(INDEX)

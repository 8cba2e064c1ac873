"""The ordered logit of the governance form on its market → hierarchy scale: coefficients, average
marginal effects, the Brant test and Stata ``ologit``'s header, with the choice model's weights and
covariance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.choice.design import ChoiceDesign
from alliancegov.choice.diagnostics import _adjusted, _attempt
from alliancegov.choice.notes import inference_note, standard_errors
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.stats.tidy import tidy_coefficients


def ordered_options(design: ChoiceDesign, spec: ChoiceSpec) -> dict:
    """The choice model's weights and covariance as options of the ordered logit and the Brant test.

    Parameters
    ----------
    design : ChoiceDesign
        Frequency weights, clusters or survey design.
    spec : ChoiceSpec
        ``cov_type``.

    Returns
    -------
    dict
        Keyword arguments of :func:`~alliancegov.stats.ordinal.fit_ordered_logit` and
        :func:`~alliancegov.stats.ordinal.brant_test`: ``design`` under a survey design, else
        ``weights`` (frequency) and ``groups`` (clustered) or ``robust``.
    """
    if design.survey is not None:
        return {"design": design.survey}
    options = {} if design.weights is None else {"weights": design.weights, "weight_type": "frequency"}
    if spec.cov_type == "cluster":
        options["groups"] = design.groups
    elif spec.cov_type == "robust":
        options["robust"] = True
    return options


def ordered_tables(design: ChoiceDesign, categories: list[str], spec: ChoiceSpec
                   ) -> tuple[dict[str, pd.DataFrame], bool]:
    """Ordered logit on the codebook's order of the outcome: coefficients, AMEs, Brant test and fit;
    and whether the fit converged (not when the data are separated).

    The choice model's frequency weights, clusters, robust covariance or survey design reach the
    fit, its marginal effects (weighted averages, delta method with its covariance) and the Brant
    test alike.

    Parameters
    ----------
    design : ChoiceDesign
        The choice model's design; its intercept is left out (the cut points take its place).
    categories : list of str
        The outcome's categories in the codebook's order (market → hierarchy); those that occur
        form the ordered scale.
    spec : ChoiceSpec
        ``cov_type`` and ``level``.

    Returns
    -------
    tables : dict of str to DataFrame
        ``choice_ordered``: slopes then cut points (``term, estimate, std_error, statistic,
        p_value, conf_low, conf_high, odds_ratio, or_conf_low, or_conf_high, note``, log-odds of a
        higher category; cut points named ``a|b``); ``choice_ordered_ame``: ``outcome, term,
        estimate, std_error, statistic, p_value, conf_low, conf_high, note``, the average marginal
        effects on each category's probability (probability units); ``choice_ordered_brant``: the
        Brant test of proportional odds (``term, statistic, df, p_value, note``, first row ``all``;
        an adjusted Wald F under a survey design), or one row saying why it was not computed;
        ``choice_ordered_fit``: :func:`ordered_fit_table`.
    converged : bool
        Whether the ordered logit converged.
    """
    from alliancegov.stats.ordinal import brant_test, fit_ordered_logit, ordered_average_marginal_effects, tidy_ordered

    scale = [c for c in categories if c in design.levels]
    codes = pd.Categorical(np.asarray(design.levels, dtype=object)[design.y], categories=scale).codes
    slopes = [c for c in design.X.columns if c != "Intercept"]
    X = design.X[slopes]
    options = ordered_options(design, spec)
    fit = fit_ordered_logit(X, codes, **options)
    position = {name: i for i, name in enumerate(slopes)}
    continuous = [position[design.X.columns[c]] for c in design.continuous]
    discrete = {}
    for name, (_, columns) in design.discrete.items():
        key = design.X.columns[columns[0]] if len(columns) == 1 else name
        discrete[key] = [position[design.X.columns[c]] for c in columns]
    ames = ordered_average_marginal_effects(X, fit, continuous, discrete, weights=design.averaging_weights)
    ame = tidy_coefficients(ames["variable"], ames["estimate"], ames["std_error"], df_resid=fit.design_df,
                            level=spec.level)
    ame.insert(0, "outcome", np.asarray(scale, dtype=object)[ames["outcome"].to_numpy(int)])
    note = inference_note(spec, design, fit.design_df)

    def brant() -> pd.DataFrame:
        table = brant_test(X, codes, **options).assign(
            note=f"Brant's Wald χ² of parallel lines with the {standard_errors(spec, design)}")
        return _adjusted(table, fit.design_df)

    return {"choice_ordered": tidy_ordered(fit, level=spec.level, outcome_labels=scale).assign(note=note),
            "choice_ordered_ame": ame.assign(note=note + "; delta-method standard errors, probability units"),
            "choice_ordered_brant": _attempt("brant", brant),
            "choice_ordered_fit": ordered_fit_table(fit, spec, design)}, fit.converged


def ordered_fit_table(fit, spec: ChoiceSpec, design: ChoiceDesign) -> pd.DataFrame:
    """Stata ``ologit``'s header, with AIC and BIC, each row saying what it is.

    Parameters
    ----------
    fit : alliancegov.stats.ordinal.OrderedFit
        The ordered logit.
    spec : ChoiceSpec
        The weights and covariance.
    design : ChoiceDesign
        Its clusters and survey design.

    Returns
    -------
    DataFrame
        ``statistic, value, note``: ``n_obs`` (N: the sum of the frequency weights, else the
        rows), ``log_likelihood``, ``log_likelihood_null``, the model test of all slopes = 0
        (``lr_chi2`` with model-based covariance, else ``wald_chi2`` with the configured one, and
        ``wald_f``, ``df_denominator`` under a survey design), ``df``, ``p_value``, ``pseudo_r2``
        (McFadden), ``aic``, ``bic`` (missing for a pseudo-likelihood) and ``n_clusters``.
    """
    covariance = standard_errors(spec, design).split(";")[0]
    notes = {
        "n_obs": f"sum of the frequency weights {spec.weights}" if spec.weights else "rows (responses) used",
        "log_likelihood": "pseudo-log-likelihood (sampling weights)" if design.survey is not None else "",
        "log_likelihood_null": "cut points only: the weighted shares of the categories",
        "lr_chi2": "likelihood-ratio χ² of all slopes = 0 (model-based covariance)",
        "wald_chi2": f"Wald χ² of all slopes = 0 with the {covariance} (no LR test under this covariance)",
        "wald_f": "adjusted Wald F of all slopes = 0 (Korn & Graubard), the survey design's",
        "df": "slopes tested",
        "df_denominator": "denominator degrees of freedom of the adjusted F",
        "p_value": "upper tail of the model test",
        "pseudo_r2": "McFadden's 1 − LL/LL0",
        "aic": "−2 LL + 2 parameters" if design.survey is None else "not defined for a pseudo-likelihood",
        "bic": "−2 LL + parameters × ln N" if design.survey is None else "not defined for a pseudo-likelihood",
        "n_clusters": "clusters (PSUs of the design)" if spec.cov_type in ("cluster", "design") else "",
    }
    table = fit.fit_statistics()
    return table.assign(note=table["statistic"].map(notes).fillna(""))

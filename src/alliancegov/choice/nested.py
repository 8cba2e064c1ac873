"""The nested logit as the choice model's robustness check of IIA: the forms grouped into nests (market,
hybrid, hierarchy by default), the dissimilarity parameters, and the test of the nested logit against
the multinomial logit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.choice.design import ChoiceDesign
from alliancegov.choice.diagnostics import _adjusted
from alliancegov.choice.notes import inference_note, standard_errors
from alliancegov.choice.spec import ChoiceSpec

FIXED_NOTE = ("degenerate nest (one form): its dissimilarity cancels from every probability in the "
              "utility-consistent (RU2) nested logit, so it is fixed at 1, not estimated (Heiss 2002)")


def nest_codes(design: ChoiceDesign, spec: ChoiceSpec) -> dict[str, list[int]]:
    """The configured nests as outcome codes of the design, forms nobody chose left out.

    Parameters
    ----------
    design : ChoiceDesign
        The outcome's levels (base first) as they occur.
    spec : ChoiceSpec
        ``nests``: nest name → forms.

    Returns
    -------
    dict of str to list of int
        Nest name → codes (indices of ``design.levels``); a nest with no observed form is left out.

    Raises
    ------
    ValueError
        If an observed form is in no nest or in two, naming ``choice.nests`` and the form.
    """
    nests: dict[str, list[int]] = {}
    placed: dict[str, str] = {}
    for name, forms in spec.nests:
        for form in forms:
            if form in placed:
                raise ValueError(f"choice.nests: {form} is in two nests, {placed[form]} and {name}")
            placed[form] = name
        codes = [design.levels.index(form) for form in forms if form in design.levels]
        if codes:
            nests[name] = codes
    missing = [level for level in design.levels if level not in placed]
    if missing:
        raise ValueError(f"choice.nests: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} in no nest; "
                         "every form of the outcome must be in exactly one")
    return nests


def nested_table(design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """The nested logit of the choice model, tidy, with its test against the MNL.

    The random-utility-consistent (RU2) nested logit of
    :func:`~alliancegov.stats.nested_logit.fit_nested_logit` on the choice model's design, with its
    frequency weights, covariance (clusters, robust) or survey design, one dissimilarity per nest of
    two or more forms.

    Parameters
    ----------
    design : ChoiceDesign
        The choice model's design.
    spec : ChoiceSpec
        ``nests``, ``cov_type`` and ``level``.

    Returns
    -------
    DataFrame
        ``outcome, term, estimate, std_error, statistic, p_value, conf_low, conf_high, df, note``:
        the coefficients by form against the base (log-odds scale of the utilities); the
        dissimilarities (``outcome`` ``dissimilarity``, ``term`` the nest; a degenerate nest's row at
        1 with no standard error and a note saying it is fixed); then the test that every estimated
        dissimilarity is 1, i.e. the MNL (``outcome`` ``test against the MNL``): the likelihood-ratio
        χ² with model-based covariance, else the Wald χ² with the configured covariance (an adjusted
        Wald F under a survey design), ``df`` its degrees of freedom; the note gives both
        log-likelihoods.

    Raises
    ------
    ValueError
        If the nests do not partition the observed forms (:func:`nest_codes`), or no nest has two
        forms (nothing to estimate).
    """
    from alliancegov.stats.nested_logit import fit_nested_logit, nested_logit_tests, tidy_nested_logit

    nests = nest_codes(design, spec)
    if all(len(codes) < 2 for codes in nests.values()):
        raise ValueError("choice.nests: no nest holds two forms, so the nested logit is the MNL; group at least two "
                         "forms or set choice.nested_logit: false")
    options: dict = {"cov_type": spec.cov_type if spec.cov_type in ("robust", "cluster") else "model"}
    if design.survey is not None:
        options = {"design": design.survey}
    elif spec.cov_type == "cluster":
        options["groups"] = design.groups
    if design.weights is not None:
        options["weights"] = design.weights
    fit = fit_nested_logit(design.X, design.y, nests, alternatives=design.levels, **options)
    note = inference_note(spec, design, fit.design_df)
    table = tidy_nested_logit(fit, level=spec.level).assign(df=np.nan, note=note)
    estimated = table["outcome"] == "dissimilarity"
    table.loc[estimated, "note"] = [
        f"{note}; statistic and p-value against 0 (against 1, the MNL: the last row)"
        + ("" if 0 < tau <= 1 else "; outside (0, 1]: not consistent with utility maximisation for every value of "
           "the regressors (McFadden 1978)") for tau in table.loc[estimated, "estimate"]]
    fixed = [name for name, index in zip(fit.nests, fit.free_of_nest) if index < 0]
    table = pd.concat([table, pd.DataFrame({"outcome": "dissimilarity", "term": fixed, "estimate": 1.0,
                                            "note": FIXED_NOTE})], ignore_index=True)
    tests = nested_logit_tests(fit)
    test = tests[tests["test"] == ("LR" if fit.cov_type == "model" else "Wald")].reset_index(drop=True)
    logliks = f"log-likelihood {fit.loglik:.3f} (nested) against {fit.loglik_mnl:.3f} (MNL), N = {fit.n:g}"
    if fit.cov_type == "model":
        what = f"likelihood-ratio χ² of every estimated dissimilarity = 1 (the MNL), model-based; {logliks}"
    else:
        what = (f"Wald χ² of every estimated dissimilarity = 1 (the MNL) with the "
                f"{standard_errors(spec, design).split(';')[0]} (no LR test under it); {logliks}")
    test = _adjusted(test.assign(note=what)[["test", "statistic", "df", "p_value", "note"]], fit.design_df)
    rows = pd.DataFrame({"outcome": "test against the MNL", "term": test["test"], "statistic": test["statistic"],
                         "p_value": test["p_value"], "df": test["df"].astype(float),
                         "note": test["note"] if fit.design_df is None else test["note"] + "; " + what})
    return pd.concat([table, rows], ignore_index=True)

"""Effects of the governance form on performance under selection on observables: inverse-probability
weighting and doubly robust AIPW for a multivalued treatment (Cattaneo 2010), the generalised
propensity score from the first stage, with overlap diagnostics and a trimming rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.misalignment.two_stage import TwoStageData

METHODS = ("ipw", "aipw")

EFFECTS_NOTE = (
    "Potential-outcome means of {outcome} under each form (pomean) and their differences from {base} (ate), "
    "assuming selection on observables (no unobserved variable drives both the form and performance): IPW "
    "(weights normalised within each form) and AIPW (doubly robust: the outcome regressions corrected by "
    "the weighted residuals; Cattaneo 2010), as Stata's teffects ipw/aipw. Generalised propensity score: the "
    "multinomial logit of the choice model; outcome regressions: OLS per form on the per-form performance "
    "equation's regressors. Trimming: the {trimmed} firms with a predicted probability below {trim:g} of some "
    "form are left out and both models refitted on the {n} others (Crump, Hotz, Imbens & Mitnik 2009). SEs "
    "from the influence functions, the estimation of the propensity and outcome models included, {clusters}; "
    "z tests and normal intervals.")
OVERLAP_NOTE = (
    "Distribution of each form's predicted probability (propensity_of) among the firms in each form "
    "(received), before trimming: overlap needs every form's range to be shared by the firms of the other "
    "forms; firms below {trim:g} for some form are trimmed from form_effects.")


def form_effects(data: TwoStageData, *, trim: float, clusters: np.ndarray | None = None, level: float = 0.95,
                 outcome: str = "performance") -> tuple[pd.DataFrame, pd.DataFrame]:
    """IPW and AIPW effects of the forms on performance, and the overlap of their propensities.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices: the first stage is the propensity model, the per-form equation's
        design the outcome regressions' (the intercept alone without one).
    trim : float
        Firms whose smallest predicted probability of a form is below it are left out (in [0, 1/J)).
    clusters : ndarray of shape (n,), optional
        The firms' cluster codes: SEs clustered by firm.
    level : float
        Confidence level.
    outcome : str
        The outcome's name, for the notes.

    Returns
    -------
    effects : DataFrame
        :func:`alliancegov.stats.treatment_effects.effects_table` for each method, then ``n``
        (firms used), ``n_trimmed``, ``n_clusters`` and ``note``.
    overlap : DataFrame
        :func:`alliancegov.stats.treatment_effects.overlap_summary` of every firm, with
        ``n_below_trim`` (firms of that form with a probability of ``propensity_of`` below
        ``trim``), ``trim`` and ``note``.

    Raises
    ------
    ModelSpecificationError
        If a form keeps no firm after trimming, or the propensity model cannot be fitted on the
        firms kept.
    """
    from alliancegov.misalignment.spec import FIRST_STAGE
    from alliancegov.model_checks import cannot_fit
    from alliancegov.stats.treatment_effects import (
        effects_table,
        mnl_propensity,
        overlap_summary,
        potential_outcome_means,
        within_overlap,
    )

    labels = list(data.labels)
    everyone = mnl_propensity(data.first_stage, data.chosen)
    keep = within_overlap(everyone.probabilities, trim)
    missing = [form for j, form in enumerate(labels) if not np.any(keep & (data.chosen == j))]
    if missing:
        raise cannot_fit("the effects of the forms", f"no firm of {', '.join(missing)} keeps a probability of at "
                                                     f"least {trim:g} of every form")
    design = (data.equation.to_numpy(float) if data.equation is not None
              else np.ones((len(data.chosen), 1)))
    try:
        propensity = mnl_propensity(data.first_stage[keep], data.chosen[keep])
    except np.linalg.LinAlgError as error:
        raise cannot_fit(FIRST_STAGE, "its information is singular on the firms kept after trimming") from error
    kept_clusters = clusters[keep] if clusters is not None else None
    tables = [effects_table(potential_outcome_means(data.outcome[keep], data.chosen[keep], propensity, method=method,
                                                    outcome_design=design[keep]),
                            labels, labels[0], clusters=kept_clusters, level=level)
              for method in METHODS]
    n_clusters = len(np.unique(kept_clusters)) if clusters is not None else int(keep.sum())
    effects = pd.concat(tables, ignore_index=True).assign(
        n=int(keep.sum()), n_trimmed=int((~keep).sum()), n_clusters=n_clusters,
        note=EFFECTS_NOTE.format(outcome=outcome, base=labels[0], trimmed=int((~keep).sum()), trim=trim,
                                 n=int(keep.sum()),
                                 clusters="clustered by firm" if clusters is not None else "robust"))
    overlap = overlap_summary(everyone.probabilities, data.chosen, labels)
    below = everyone.probabilities < trim
    overlap["n_below_trim"] = [int(below[data.chosen == labels.index(r), labels.index(of)].sum())
                               for of, r in zip(overlap["propensity_of"], overlap["received"])]
    return effects, overlap.assign(trim=trim, note=OVERLAP_NOTE.format(trim=trim))

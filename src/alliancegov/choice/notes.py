"""What a choice table's standard errors, intervals and p-values are, in a sentence for its ``note``
column, and the refusals of options a table cannot honour.
"""

from __future__ import annotations

import numpy as np

from alliancegov.choice.design import ChoiceDesign
from alliancegov.choice.spec import ChoiceSpec


def standard_errors(spec: ChoiceSpec, design: ChoiceDesign) -> str:
    """The covariance behind a table's standard errors, and the weights, as a clause.

    Parameters
    ----------
    spec : ChoiceSpec
        ``cov_type``, ``cluster``, ``weights`` and ``sampling_weights``.
    design : ChoiceDesign
        Its clusters (counted) and survey design.

    Returns
    -------
    str
        E.g. "standard errors clustered by firm_key (582 clusters, × G/(G−1) as Stata); frequency
        weights fw".
    """
    if spec.cov_type == "design":
        clause = "Taylor-linearised standard errors of the survey design (Stata svy)"
    elif spec.cov_type == "cluster":
        clause = (f"standard errors clustered by {spec.cluster} ({len(np.unique(design.groups))} clusters, "
                  "× G/(G−1) as Stata)")
    elif spec.cov_type == "robust":
        clause = "robust (sandwich) standard errors, × N/(N−1) as Stata"
    else:
        clause = "model-based standard errors (inverse information)"
    if spec.weights:
        clause += f"; frequency weights {spec.weights} (a row stands for that many observations)"
    elif design.survey is not None and spec.sampling_weights:
        clause += f"; sampling weights {spec.sampling_weights} (pseudo-likelihood)"
    return clause


def inference_note(spec: ChoiceSpec, design: ChoiceDesign, design_df: float | None = None) -> str:
    """What a coefficient table's standard errors, statistics, p-values and intervals are.

    Parameters
    ----------
    spec : ChoiceSpec
        The covariance, weights and ``level``.
    design : ChoiceDesign
        Its clusters and survey design.
    design_df : float, optional
        The survey design's degrees of freedom (t reference); None for z.

    Returns
    -------
    str
        One sentence for the table's ``note`` column.
    """
    if design_df is None:
        tests = f"z statistics, normal p-values and {spec.level:.0%} Wald intervals"
    else:
        tests = f"t statistics, p-values and {spec.level:.0%} intervals on {design_df:g} design degrees of freedom"
    return f"{standard_errors(spec, design)}; {tests}"


def refuse(option: str, stage: str, reason: str) -> ValueError:
    """The error that stops a run when a table cannot honour a configured option.

    Parameters
    ----------
    option : str
        The config key, e.g. ``choice.weights``.
    stage : str
        What cannot honour it, e.g. ``the choice stage's Firth estimates``.
    reason : str
        Why, and what to do instead.

    Returns
    -------
    ValueError
        "choice.weights is set, but <stage> cannot honour it: <reason>".
    """
    return ValueError(f"{option} is set, but {stage} cannot honour it: {reason}")

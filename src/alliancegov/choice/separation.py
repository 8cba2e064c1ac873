"""The multinomial logit fitted as the choice stage fits it wherever it is refitted: by maximum
likelihood, or by Firth's penalised likelihood when the data are separated (``choice.firth``), so
that the main model, the per-wave models and the variants handle separated data alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alliancegov.choice.design import ChoiceDesign
from alliancegov.choice.diagnostics import small_sample_table
from alliancegov.choice.model import ChoiceFit, fit_firth, fit_mnl, model_separated
from alliancegov.choice.notes import refuse
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.model_checks import INTERCEPT, cannot_fit, listing

ALBERT_ANDERSON = "Albert & Anderson 1984"   # why separated data have no maximum-likelihood estimates
FIRTH_ERRORS = "model-based standard errors of Firth's penalised likelihood (the configured cov_type does not apply)"


@dataclass
class SeparationAwareFit:
    """The fit a model's tables rest on, and how it was made.

    Attributes
    ----------
    fit : ChoiceFit
        Maximum likelihood, or Firth's penalised estimates when the data are separated.
    firth : ChoiceFit or None
        Firth's estimates when they were fitted (separated data, or ``choice.firth: always``).
    separated : bool
        Whether the data are separated (then ``fit`` is ``firth``).
    small : DataFrame
        :func:`~alliancegov.choice.diagnostics.small_sample_table` of the design.
    """

    fit: ChoiceFit
    firth: ChoiceFit | None
    separated: bool
    small: pd.DataFrame

    @property
    def estimator(self) -> str:
        """``firth`` when the tables rest on Firth's estimates, else ``ml``."""
        return "firth" if self.separated else "ml"


def separation(small: pd.DataFrame, spec: ChoiceSpec) -> str:
    """What separates the data, as a clause of a sentence.

    Parameters
    ----------
    small : DataFrame
        :func:`~alliancegov.choice.diagnostics.small_sample_table`: which comparison of a form with
        the base is separated, how, and by which design columns.
    spec : ChoiceSpec
        The outcome and its base.

    Returns
    -------
    str
        E.g. "trust separates governance_form joint_venture from repeated_contract completely".
    """
    flagged = small[small["separated"].astype(bool)]
    parts = []
    for outcome, kind, implicated in zip(flagged["outcome"], flagged["kind"], flagged["implicated"]):
        columns = [column for column in implicated.split() if column != INTERCEPT]   # the threshold, not a cause
        subject = f"{listing(columns)} separate{'s' if len(columns) == 1 else ''}" if columns \
            else "the regressors separate"
        parts.append(f"{subject} {spec.outcome} {outcome} from {spec.base} "
                     f"{'completely' if kind == 'complete' else 'quasi-completely'}")
    return "; ".join(parts) if parts else (f"the regressors predict some {spec.outcome} perfectly, though in no "
                                           "single comparison with the base")


def fit_choice(design: ChoiceDesign, spec: ChoiceSpec) -> SeparationAwareFit:
    """The multinomial logit of ``design``: ML, or Firth's estimates when the data are separated.

    Parameters
    ----------
    design : ChoiceDesign
        The model's design (its ``model`` names it in messages).
    spec : ChoiceSpec
        ``firth`` (``auto``: Firth's estimates when the data are separated; ``always``; ``never``),
        the covariance and weights.

    Returns
    -------
    SeparationAwareFit

    Raises
    ------
    ModelSpecificationError
        When the data are separated and ``spec.firth`` is ``never`` (no ML estimates exist), naming
        the model and what separates it.
    ValueError
        When Firth's estimates are wanted with frequency weights or a survey design, which they do not
        honour (:func:`~alliancegov.choice.notes.refuse`).
    """
    small = small_sample_table(design)
    separated = model_separated(design)
    wants_firth = spec.firth == "always" or (spec.firth == "auto" and separated)
    if wants_firth and (design.weights is not None or design.survey is not None):
        option = "choice.weights" if design.weights is not None else "choice.cov_type: design"
        raise refuse(option, "Firth's penalised multinomial logit (choice_firth, and every choice table when the "
                     "data are separated)", f"it is fitted unweighted with model-based standard errors; "
                     f"{separation(small, spec) + ' (separation)' if separated else 'choice.firth is always'}: "
                     "simplify the formula, or set choice.firth: never when the data are not separated")
    firth = fit_firth(design) if wants_firth else None
    if separated and firth is None:
        raise cannot_fit(design.model, f"{separation(small, spec)} (separation), so the maximum-likelihood "
                                       f"estimates do not exist ({ALBERT_ANDERSON}), and choice.firth is 'never'; "
                                       "allow Firth's penalised estimates (firth: auto) or simplify the formula")
    return SeparationAwareFit(firth if separated else fit_mnl(design, spec), firth, separated, small)

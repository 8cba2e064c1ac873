"""The two stages of the misalignment model: the choice model's probabilities give the misalignment
measures and the selection terms; the second stage regresses performance on the measures (pooled
models) and, form by form, on the per-form equation (switching regressions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alliancegov.misalignment.spec import FIRST_STAGE, SECOND_STAGE, MisalignmentSpec
from alliancegov.stats.least_squares import least_squares
from alliancegov.stats.tidy import readable_term

# The pooled models: name → their misalignment regressors (beside the controls). The continuous
# misfit is the primary measure, the modal mismatch and its direction secondary.
POOLED_MODELS = {"misfit": ["misfit"], "mismatch": ["misaligned"],
                 "direction": ["excess_hierarchy", "insufficient_hierarchy"]}


def misalignment_measures(probabilities: np.ndarray, chosen: np.ndarray, scale_rank: np.ndarray) -> pd.DataFrame:
    """Misalignment of each firm's chosen form from the first stage's predicted probabilities.

    The aligned form is the one of highest predicted probability (the lowest code on a tie).

    Parameters
    ----------
    probabilities : ndarray of shape (n, J)
        Predicted probabilities of each form from the choice model.
    chosen : ndarray of shape (n,)
        Codes 0 .. J − 1 of the chosen forms.
    scale_rank : ndarray of shape (J,)
        Each form's position on the market → hierarchy scale.

    Returns
    -------
    DataFrame
        n rows (index 0 .. n − 1). Columns: ``aligned`` (code), ``misaligned`` (0/1, modal
        mismatch), ``excess_hierarchy`` and ``insufficient_hierarchy`` (0/1, the chosen form
        above or below the aligned one on the scale), ``misfit`` (1 − predicted probability of
        the chosen form, probability units); the 0/1 columns are float.
    """
    aligned = probabilities.argmax(axis=1)
    gap = scale_rank[chosen] - scale_rank[aligned]
    return pd.DataFrame({
        "aligned": aligned,
        "misaligned": (chosen != aligned).astype(float),
        "excess_hierarchy": (gap > 0).astype(float),
        "insufficient_hierarchy": (gap < 0).astype(float),
        "misfit": 1 - probabilities[np.arange(len(chosen)), chosen],
    })


def _variables_of(formula: str | None, columns, source: str) -> list[str]:
    from alliancegov.expressions import formula_variables

    return formula_variables(formula, columns, source=source) if formula else []


def _matrix(formula: str, rows: pd.DataFrame, source: str) -> pd.DataFrame:
    from alliancegov.expressions import design_matrix
    from alliancegov.model_checks import check_rank

    matrix = design_matrix(formula, rows, source=source, NA_action="raise")
    matrix.columns = [readable_term(c) for c in matrix.columns]
    check_rank(matrix, SECOND_STAGE)
    return matrix.reset_index(drop=True)


def excluded_variables(first_stage: Sequence[str], equation: Sequence[str], named: Sequence[str],
                       selection: Sequence[str]) -> None:
    """Stop unless the config names exactly the first stage's variables left out of the per-form
    equation (the exclusion restrictions), and at least one when a selection correction is fitted.

    Parameters
    ----------
    first_stage, equation : sequence of str
        The variables of the choice model and of the per-form performance equation.
    named : sequence of str
        ``misalignment.switching.excluded``.
    selection : sequence of str
        The selection corrections fitted.

    Raises
    ------
    ModelSpecificationError
        Naming the variables that differ, or saying that the corrections would be identified by
        the multinomial logit's functional form alone.
    """
    from alliancegov.model_checks import ModelSpecificationError

    outside = [v for v in first_stage if v not in set(equation)]
    if set(named) != set(outside):
        raise ModelSpecificationError(
            f"misalignment.switching.excluded must name the choice model's variables that the per-form performance "
            f"equation leaves out ({', '.join(outside) or 'none'}); it names {', '.join(named) or 'none'}.")
    if selection and not outside:
        raise ModelSpecificationError(
            "The per-form performance equation uses every variable of the choice model: the selection terms would "
            "be identified by the multinomial logit's functional form alone; leave at least one out of it.")


@dataclass
class TwoStageData:
    """Both stages' matrices, built once so that bootstrap resamples only index rows.

    Rows are the firms complete for the first stage, the outcome, the controls and the per-form
    equation; the covariates of ``spec.centre`` are centred at their mean over those firms.
    """

    first_stage: np.ndarray     # (n, k) choice-model design
    first_stage_names: tuple[str, ...]
    chosen: np.ndarray          # (n,) form codes
    controls: pd.DataFrame      # (n, c) the pooled models' controls, intercept included
    outcome: np.ndarray         # (n,)
    scale_rank: np.ndarray      # (J,) position of each form on the market → hierarchy scale
    selection: tuple[str, ...]
    labels: tuple[str, ...] = ()                 # the forms, in the codes' order
    equation: pd.DataFrame | None = None         # (n, e) the per-form performance equation's design
    excluded: tuple[str, ...] = ()               # the first stage's columns of the excluded variables
    form_misfit: bool = False                    # each form's equation has the misfit with that form
    centred: dict[str, float] = field(default_factory=dict)   # covariate → the mean it was centred at

    @classmethod
    def build(cls, frame: pd.DataFrame, choice_design_builder, spec: MisalignmentSpec,
              scale_rank: np.ndarray) -> tuple[TwoStageData, pd.DataFrame]:
        """The matrices and the rows they hold (the first stage's rows, filtered).

        Parameters
        ----------
        frame : DataFrame
            The analysis frame with the derived outcomes, one row per firm.
        choice_design_builder : callable
            ``choice_design_builder(frame)`` builds the first stage's design (``data``, ``X``,
            ``y``, ``levels``), e.g. :class:`alliancegov.choice.design.DesignBuilder`; its
            ``spec.formula`` names the first stage's variables.
        spec : MisalignmentSpec
            The outcome, controls, per-form equation, exclusions, corrections and centring.
        scale_rank : ndarray of shape (J,)
            Each form's position on the market → hierarchy scale.

        Returns
        -------
        data : TwoStageData
            The matrices of the first stage's rows that also have the outcome, the controls and
            the per-form equation's variables.
        rows : DataFrame
            Those rows of the frame (all its columns, not centred), index reset to 0 .. n − 1.

        Raises
        ------
        ModelSpecificationError
            If the first stage cannot be fitted (see the builder), the outcome or a regressor is
            missing for every firm (of a wave), a regressor takes a single value, the controls or
            the equation's columns are collinear, or the exclusions are not the first stage's
            variables left out of the equation.
        """
        from alliancegov.model_checks import check_varying, complete_rows
        from alliancegov.stats.centring import centre_columns

        design = choice_design_builder(frame)
        rows = design.data
        controls = _variables_of(spec.controls, rows.columns, "misalignment.controls")
        equation = _variables_of(spec.equation, rows.columns, "misalignment.switching.formula")
        if spec.equation:
            excluded_variables(_variables_of(choice_design_builder.spec.formula, rows.columns, "choice.formula"),
                               equation, spec.excluded, spec.selection)
        regressors = list(dict.fromkeys(controls + equation))
        complete = complete_rows(rows, [spec.outcome, *regressors], SECOND_STAGE)
        check_varying(complete, regressors, SECOND_STAGE)
        keep = rows.index.isin(complete.index)
        used, means = centre_columns(rows.loc[keep], [c for c in spec.centre if c in regressors])
        names = tuple(design.X.columns)
        excluded = tuple(n for n in names if n in spec.excluded or n.split("[")[0] in spec.excluded)
        data = cls(design.X.to_numpy()[keep], names, design.y[keep],
                   _matrix(spec.controls, used, "misalignment.controls"), used[spec.outcome].to_numpy(float),
                   scale_rank, spec.selection, tuple(design.levels),
                   _matrix(spec.equation, used, "misalignment.switching.formula") if spec.equation else None,
                   excluded, spec.form_misfit, means)
        return data, rows.loc[keep].reset_index(drop=True)

    def first_stage_probabilities(self, rows: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        """The choice model fitted on ``rows`` (Newton from ``start`` (k, J-1) if given): predicted
        probabilities of each form, (len(rows), J).

        Parameters
        ----------
        rows : ndarray of int
            Positions of the firms (repeats allowed, as in a bootstrap resample).
        start : ndarray of shape (k, J-1), optional
            Starting coefficients of the multinomial logit's Newton iterations.

        Returns
        -------
        ndarray of shape (len(rows), J)
            Predicted probability of each form for each of ``rows``, by the model fitted on them.
        """
        from alliancegov.stats.mnl import probabilities

        X = self.first_stage[rows]
        return probabilities(X, first_stage_fit(X, self.chosen[rows], self.first_stage_names, start).params)

    def estimates(self, rows: np.ndarray | None = None, start: np.ndarray | None = None,
                  probabilities: np.ndarray | None = None) -> dict[str, pd.Series]:
        """The pooled models on ``rows`` (all when None): model → second-stage coefficients.

        Models (:data:`POOLED_MODELS`): ``misfit`` (continuous, primary), ``mismatch`` (0/1
        modal mismatch) and ``direction`` (excess and insufficient hierarchy), each with the
        controls.

        Parameters
        ----------
        rows : ndarray of int, optional
            Positions of the firms (repeats allowed); None for all.
        start : ndarray of shape (k, J-1), optional
            Starting coefficients of the first stage's Newton iterations.
        probabilities : ndarray of shape (len(rows), J), optional
            The first stage's probabilities on ``rows``, if already fitted.

        Returns
        -------
        dict of str to Series
            Model name → its OLS coefficients (outcome units) on the controls and the
            misalignment regressors, indexed by those columns' names.
        """
        return {name: pd.Series(least_squares(design.to_numpy(float), y), index=design.columns)
                for name, (design, y) in self.second_stages(rows, start, probabilities).items()}

    def second_stages(self, rows: np.ndarray | None = None, start: np.ndarray | None = None,
                      probabilities: np.ndarray | None = None) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
        """Pooled model name → its design and outcome on ``rows`` (see :meth:`estimates`).

        Parameters
        ----------
        rows, start, probabilities
            As in :meth:`estimates`.

        Returns
        -------
        dict of str to (DataFrame, ndarray)
            The design (controls then the misalignment regressors) and the outcome (n,).
        """
        rows = np.arange(len(self.chosen)) if rows is None else rows
        P = self.first_stage_probabilities(rows, start) if probabilities is None else probabilities
        measures = misalignment_measures(P, self.chosen[rows], self.scale_rank)
        controls = self.controls.iloc[rows].reset_index(drop=True)
        return {name: (pd.concat([controls, measures[regressors]], axis=1), self.outcome[rows])
                for name, regressors in POOLED_MODELS.items()}


def first_stage_fit(X: np.ndarray, chosen: np.ndarray, names: Sequence[str], start: np.ndarray | None = None):
    """The first stage (a multinomial logit by ``stats.mnl.fit_mnl_newton``), a singular
    information said in a sentence naming the columns.

    Parameters
    ----------
    X : ndarray of shape (n, k)
        The first stage's design.
    chosen : ndarray of shape (n,)
        Each firm's form, coded 0..J-1.
    names : sequence of str
        The design's column names, for the message.
    start : ndarray of shape (k, J-1), optional
        Starting values (a previous fit's estimates).

    Returns
    -------
    MNLFit
        ``fit_mnl_newton``'s result.

    Raises
    ------
    ModelSpecificationError
        If the information matrix is singular.
    """
    from alliancegov.model_checks import singular_information
    from alliancegov.stats.mnl import fit_mnl_newton

    try:
        return fit_mnl_newton(X, chosen, start=start)
    except np.linalg.LinAlgError as error:
        raise singular_information(pd.DataFrame(X, columns=list(names)), FIRST_STAGE) from error

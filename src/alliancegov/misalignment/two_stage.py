"""The two stages of the misalignment model: the choice model's probabilities give the misalignment
measures, and each second stage regresses performance on them, with or without selection terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import readable_term

FIRST_STAGE = "the misalignment first stage (the choice model)"   # the stages' names in messages


SECOND_STAGE = "the misalignment second stage"


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


@dataclass(frozen=True)
class MisalignmentSpec:
    """``misalignment`` in the config: the performance outcome, the second stage's controls (patsy),
    selection-correction methods (``lee``, ``dmf``, ``dahl``) and the two-stage bootstrap.

    Attributes
    ----------
    outcome : str
        The performance outcome of the second stage.
    controls : str
        The second stage's controls, a patsy right-hand side (intercept included unless removed).
    selection : tuple of str
        Selection-correction methods, each a ``corrected_<method>`` model (the methods of
        :func:`alliancegov.stats.selection.selection_terms`).
    bootstrap_replicates : int
        Resamples of the two-stage bootstrap.
    seed : int
        Seed of the bootstrap's resamples.
    level : float
        Confidence level of the percentile intervals.
    """

    outcome: str
    controls: str
    selection: tuple[str, ...] = ("lee", "dmf")
    bootstrap_replicates: int = 200
    seed: int = 20261127
    level: float = 0.95

    @classmethod
    def from_config(cls, section: dict) -> MisalignmentSpec:
        """From the config's ``misalignment`` section (``bootstrap_jobs`` is the workflow's, not the model's).

        Parameters
        ----------
        section : dict
            The ``misalignment`` section: the spec's fields (``outcome`` and ``controls``
            required) and ``bootstrap_jobs``, which is ignored; any other key raises TypeError.

        Returns
        -------
        MisalignmentSpec
            The spec, ``selection`` ("lee", "dmf") unless the section sets it.
        """
        return cls(selection=tuple(section.get("selection", ("lee", "dmf"))),
                   **{k: v for k, v in section.items() if k not in ("selection", "bootstrap_jobs")})


@dataclass
class TwoStageData:
    """Both stages' matrices, built once so that bootstrap resamples only index rows.

    Rows are the firms complete for the first stage, the outcome and the controls.
    """

    first_stage: np.ndarray     # (n, k) choice-model design
    first_stage_names: tuple[str, ...]
    chosen: np.ndarray          # (n,) form codes
    controls: pd.DataFrame      # (n, c) second-stage controls, intercept included
    outcome: np.ndarray         # (n,)
    scale_rank: np.ndarray      # (J,) position of each form on the market → hierarchy scale
    selection: tuple[str, ...]

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
            ``y``), e.g. :class:`alliancegov.choice.design.DesignBuilder`.
        spec : MisalignmentSpec
            The outcome, controls and selection methods.
        scale_rank : ndarray of shape (J,)
            Each form's position on the market → hierarchy scale.

        Returns
        -------
        data : TwoStageData
            The matrices of the first stage's rows that also have the outcome and the controls.
        rows : DataFrame
            Those rows of the frame (all its columns), index reset to 0 .. n − 1.

        Raises
        ------
        ModelSpecificationError
            If the first stage cannot be fitted (see the builder), the outcome or a control is
            missing for every firm (of a wave), a control takes a single value or the controls
            are collinear.
        """
        from alliancegov.expressions import design_matrix, formula_variables
        from alliancegov.model_checks import check_rank, check_varying, complete_rows

        design = choice_design_builder(frame)
        rows = design.data
        variables = formula_variables(spec.controls, rows.columns, source="misalignment.controls")
        check_varying(complete_rows(rows, [spec.outcome, *variables], SECOND_STAGE), variables, SECOND_STAGE)
        # Built on the rows with the outcome: a text level seen only without it would be a column of zeros.
        controls = design_matrix(spec.controls, rows[rows[spec.outcome].notna()], source="misalignment.controls",
                                 NA_action="drop")
        keep = np.zeros(len(rows), dtype=bool)
        keep[controls.index] = True
        controls.columns = [readable_term(c) for c in controls.columns]
        check_rank(controls, SECOND_STAGE)
        data = cls(design.X.to_numpy()[keep], tuple(design.X.columns), design.y[keep], controls.reset_index(drop=True),
                   rows.loc[keep, spec.outcome].to_numpy(float), scale_rank, spec.selection)
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

    def estimates(self, rows: np.ndarray | None = None, start: np.ndarray | None = None) -> dict[str, pd.Series]:
        """Both stages on ``rows`` (all when None): model → second-stage coefficients; the first
        stage's Newton starts from ``start`` (k, J-1) if given (a bootstrap refit from the full fit).

        Models: ``uncorrected`` (misaligned), ``direction`` (excess and insufficient hierarchy),
        ``misfit`` (continuous), and ``corrected_<method>`` (misaligned + selection terms).

        Parameters
        ----------
        rows : ndarray of int, optional
            Positions of the firms (repeats allowed); None for all.
        start : ndarray of shape (k, J-1), optional
            Starting coefficients of the first stage's Newton iterations.

        Returns
        -------
        dict of str to Series
            Model name → its OLS coefficients (outcome units) on the controls, the misalignment
            regressors and any selection terms, indexed by those columns' names.
        """
        return {name: pd.Series(least_squares(design.to_numpy(float), y), index=design.columns)
                for name, (design, y) in self._second_stages(rows, start).items()}

    def _second_stages(self, rows: np.ndarray | None = None, start: np.ndarray | None = None
                       ) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
        """Model name → its second-stage design and outcome on ``rows`` (see :meth:`estimates`)."""
        from alliancegov.stats.selection import selection_terms

        rows = np.arange(len(self.chosen)) if rows is None else rows
        chosen, y = self.chosen[rows], self.outcome[rows]
        P = self.first_stage_probabilities(rows, start)
        measures = misalignment_measures(P, chosen, self.scale_rank)
        controls = self.controls.iloc[rows].reset_index(drop=True)
        models = {"uncorrected": (["misaligned"], None),
                  "direction": (["excess_hierarchy", "insufficient_hierarchy"], None),
                  "misfit": (["misfit"], None)}
        for method in self.selection:
            models[f"corrected_{method}"] = (["misaligned"], selection_terms(P, chosen, method))
        stages = {}
        for name, (regressors, terms) in models.items():
            parts = [controls, measures[regressors]] + ([terms.reset_index(drop=True)] if terms is not None else [])
            stages[name] = (pd.concat(parts, axis=1), y)
        return stages


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS coefficients (k,) of ``y`` (n,) on ``X`` (n, k).

    Parameters
    ----------
    X : ndarray of shape (n, k)
        The design.
    y : ndarray of shape (n,)
        The outcome.

    Returns
    -------
    ndarray of shape (k,)
        The coefficients, in units of ``y`` per unit of each column.

    Notes
    -----
    The normal equations with equilibrated columns, solved by Cholesky, 15× faster than
    ``lstsq``'s SVD at 10^5 rows (the two-stage bootstrap solves five of them per resample); the
    SVD's minimum-norm solution when the scaled cross-product's condition number passes 1e8
    (about 8 digits would be lost) or a column is 0.
    """
    from scipy import linalg

    gram = X.T @ X
    scale = np.sqrt(np.diag(gram))
    if np.all(scale > 0):
        scaled = gram / np.outer(scale, scale)
        if np.linalg.cond(scaled) < 1e8:
            return linalg.solve(scaled, (X.T @ y) / scale, assume_a="pos") / scale
    return np.linalg.lstsq(X, y, rcond=None)[0]


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

"""The ``misalignment`` section of the config as a spec: the performance outcome, the pooled models'
controls, the per-form (switching) performance equation and its exclusion restrictions, the
selection corrections and the two-stage bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_STAGE = "the misalignment first stage (the choice model)"   # the stages' names in messages
SECOND_STAGE = "the misalignment second stage"


@dataclass(frozen=True)
class MisalignmentSpec:
    """``misalignment`` in the config (with ``performance.centre``).

    Attributes
    ----------
    outcome : str
        The performance outcome of the second stage.
    controls : str
        The pooled models' controls (the misfit and mismatch models), a right-hand side of the
        expression grammar, intercept included unless removed.
    selection : tuple of str
        Selection corrections of the switching regressions, each a model beside the uncorrected
        one (the methods of :func:`alliancegov.stats.selection.selection_terms`).
    bootstrap_replicates : int
        Resamples of the two-stage bootstrap.
    seed : int
        Seed of the bootstrap's resamples.
    level : float
        Confidence level of the intervals.
    equation : str or None
        The per-form performance equation's right-hand side (the same regressors for every form,
        form-specific coefficients); None leaves the switching regressions and the counterfactual
        out.
    excluded : tuple of str
        The exclusion restrictions: the first stage's variables left out of ``equation``, all of
        them and only them.
    form_misfit : bool
        Whether each form's equation also has the firm's misfit with that form, 1 − its predicted
        probability (so that the excluded variables act on performance through the fit of the
        form, as transaction cost economics has it).
    centre : tuple of str
        Covariates centred at their mean over the firms the models use.
    bootstrap_method : {"auto", "refit", "k_step"}
        ``refit`` refits both stages on every resample; ``k_step`` replaces the first stage's
        refit by Newton steps from its full-sample estimates (as the choice bootstrap's) and
        refits the second stages on the measures and selection terms they give; ``auto`` refits
        up to ``bootstrap_refit_max_rows`` firms.
    bootstrap_refit_max_rows : int
        The most firms ``auto`` still refits.
    bootstrap_step_tolerance : float
        The first stage's steps stop within this many model-based SEs of the resample's optimum
        (Aitken's estimate).
    bootstrap_max_steps : int
        The most steps; a resample needing more fails.
    """

    outcome: str
    controls: str
    selection: tuple[str, ...] = ("lee", "dmf")
    bootstrap_replicates: int = 200
    seed: int = 20261127
    level: float = 0.95
    equation: str | None = None
    excluded: tuple[str, ...] = ()
    form_misfit: bool = False
    centre: tuple[str, ...] = ()
    bootstrap_method: str = "auto"
    bootstrap_refit_max_rows: int = 100_000
    bootstrap_step_tolerance: float = 0.001
    bootstrap_max_steps: int = 20

    def bootstrap_uses_refits(self, rows: int) -> bool:
        """Whether the two-stage bootstrap refits the first stage (else it takes Newton steps).

        Parameters
        ----------
        rows : int
            Firms of the two stages.

        Returns
        -------
        bool
            See :func:`alliancegov.choice.spec.uses_refits`.
        """
        from alliancegov.choice.spec import uses_refits

        return uses_refits(self.bootstrap_method, rows, self.bootstrap_refit_max_rows)

    @classmethod
    def from_config(cls, section: dict, centre=()) -> MisalignmentSpec:
        """From the config's ``misalignment`` section and ``performance.centre``.

        Parameters
        ----------
        section : dict
            The ``misalignment`` section: the spec's fields (``outcome`` and ``controls``
            required), ``switching`` (``formula``: the per-form equation, ``misfit``: whether it
            has the misfit with the form, ``excluded``: its exclusion restrictions) and
            ``bootstrap_jobs``, which is the workflow's and ignored; any other key raises
            TypeError.
        centre : sequence of str
            ``performance.centre``: the covariates centred at their mean.

        Returns
        -------
        MisalignmentSpec
            The spec, ``selection`` ("lee", "dmf") unless the section sets it.
        """
        values = {k: v for k, v in section.items() if k not in ("selection", "bootstrap_jobs", "switching")}
        switching = section.get("switching") or {}
        return cls(selection=tuple(section.get("selection", ("lee", "dmf"))), equation=switching.get("formula"),
                   excluded=tuple(switching.get("excluded", ())), form_misfit=bool(switching.get("misfit", False)),
                   centre=tuple(centre), **values)

"""Which stages a configuration turns on, and what each of them produces: the one place the
workflow asks (``rule all``'s input, the conditional inputs of downstream rules), so that a
survey of another shape is described by its config alone.

A section left out of the config turns its stage off: no ``performance`` section, no performance
models; no ``hypotheses`` register, no verdicts; one wave in the waves sheet, no per-wave models;
no firm identifier, no panel. Options inside the ``choice`` section turn its optional tables on
(``ordered``, ``binary_outcome``, ``profiles``, ``cv_folds``, ``bootstrap_replicates``,
``variants``, ``nests``), and ``choice.multinomial: false`` leaves the multinomial logit out for an
analysis that is ordinal-only or binary-only. A stage configured without what it rests on (the
misalignment models without a performance section) is refused with a message, never dropped in
silence.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliancegov.choice.spec import ChoiceSpec


class StageConfigurationError(ValueError):
    """A stage is configured but what it rests on is not; the message names both sections."""


def register_tables(register: dict) -> dict[str, list[str]]:
    """The model tables the hypotheses register's checks read, and the checks that read each.

    Parameters
    ----------
    register : dict
        The hypotheses register (``hypotheses``, each with ``id`` and ``checks``).

    Returns
    -------
    dict of str to list of str
        Table name (``choice_ame``, ``misalignment``, ``importance``, ``panel_deepening``) -> the
        checks reading it, as ``<hypothesis id> check <n>`` (1-based).
    """
    read = {}
    for hypothesis in register.get("hypotheses", []):
        for number, check in enumerate(hypothesis["checks"], start=1):
            table = "importance" if check.get("test") == "largest_share" else check.get("table")
            if table:
                read.setdefault(table, []).append(f"{hypothesis['id']} check {number}")
    return read


def check_register_tables(register: dict, produced: set[str]) -> None:
    """Refuse a register whose checks read a table that the configuration does not produce.

    Parameters
    ----------
    register : dict
        The hypotheses register.
    produced : set of str
        The model tables the stages turned on write (see :attr:`Stages.register_tables`).

    Raises
    ------
    StageConfigurationError
        Naming each absent table and the checks that read it.
    """
    absent = {table: checks for table, checks in register_tables(register).items() if table not in produced}
    if absent:
        raise StageConfigurationError(
            "the hypotheses register reads tables that this configuration does not produce: "
            + "; ".join(f"{', '.join(checks)} read{'s' if len(checks) == 1 else ''} {table}"
                        for table, checks in absent.items())
            + ". Configure the stage that writes it, or drop those checks from the register")


@dataclass(frozen=True)
class Stages:
    """The stages and optional tables a configuration turns on.

    Attributes
    ----------
    multinomial : bool
        The multinomial logit of the choice outcome and its tables (``choice.multinomial``).
    ordered, binary : bool
        The ordered logit of the choice outcome (``choice.ordered``) and the binary logit of
        ``choice.binary_outcome``.
    profiles, cv, bootstrap, variants, nested : bool
        The multinomial logit's predicted-probability profiles, cross-validated check, scattered
        bootstrap (never under a survey design), alternative specifications and nested logit.
    performance, misalignment, importance : bool
        The performance models, the two-stage misalignment models and the Shapley decomposition of
        the misalignment outcome's R².
    switching : bool
        The misalignment stage's switching regressions and counterfactual performance
        (``misalignment.switching``).
    hypotheses : bool
        The hypotheses register's checks and verdicts.
    time_to_event : bool
        The register's Kaplan–Meier table of a time to an event.
    waves : bool
        More than one wave: forms by wave and, with the multinomial logit, the per-wave models and
        their stability tests.
    panel : bool
        Several waves and a firm identifier to link them: transitions between waves.
    measurement : bool
        The measurement stage (``measurement`` section).
    construct_scales, likert_scales : tuple of str
        The scales of the construct-score and reliability figures, and those whose items are drawn.
    """

    multinomial: bool = True
    ordered: bool = False
    binary: bool = False
    profiles: bool = False
    cv: bool = False
    bootstrap: bool = False
    variants: bool = False
    nested: bool = False
    performance: bool = False
    misalignment: bool = False
    switching: bool = False
    importance: bool = False
    hypotheses: bool = False
    time_to_event: bool = False
    waves: bool = False
    panel: bool = False
    measurement: bool = False
    construct_scales: tuple[str, ...] = ()
    likert_scales: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: dict, n_waves: int, register: dict | None = None) -> Stages:
        """The stages ``config`` turns on.

        Parameters
        ----------
        config : dict
            The validated configuration (schema defaults filled in or not: absent keys take them).
        n_waves : int
            The rows of the waves sheet.
        register : dict or None, default=None
            The hypotheses register, when the config names one (its ``time_to_event`` block).

        Returns
        -------
        Stages

        Raises
        ------
        StageConfigurationError
            If a section is given without the stage it rests on: ``misalignment`` without
            ``performance`` or without the multinomial logit (its first stage), ``importance`` groups
            without ``misalignment`` (they decompose its outcome), or a hypotheses register whose
            checks read a table no stage turned on writes.
        """
        choice = ChoiceSpec.from_config(config["choice"])
        multinomial = choice.multinomial
        performance = "performance" in config
        misalignment = "misalignment" in config
        if misalignment and not (performance and multinomial):
            missing = "the performance section" if not performance else "the multinomial logit (choice.multinomial)"
            raise StageConfigurationError(f"the misalignment section needs {missing}: misalignment is the gap between "
                                          "the form chosen and the one the multinomial logit predicts, regressed "
                                          "with the performance outcome; add it or leave the misalignment section out")
        importance = bool((config.get("importance") or {}).get("groups"))
        if importance and not misalignment:
            raise StageConfigurationError("importance.groups decomposes the R² of the misalignment outcome, and the "
                                          "config has no misalignment section; add it or leave importance out")
        figures = config.get("figures") or {}
        stages = cls(
            multinomial=multinomial,
            ordered=choice.ordered,
            binary=bool(choice.binary_outcome),
            profiles=multinomial and bool(choice.profiles),
            cv=multinomial and choice.cv_folds >= 2,
            bootstrap=multinomial and choice.bootstrap_replicates > 0 and choice.cov_type != "design",
            variants=multinomial and bool(choice.variants),
            nested=multinomial and choice.nested_logit and bool(choice.nests),
            performance=performance,
            misalignment=misalignment,
            switching=misalignment and bool(config["misalignment"].get("switching")),
            importance=importance,
            hypotheses=bool(config.get("hypotheses")),
            time_to_event=bool(config.get("hypotheses")) and bool((register or {}).get("time_to_event")),
            waves=n_waves >= 2,
            panel=n_waves >= 2 and bool((config.get("ingest") or {}).get("firm_id_column")),
            measurement="measurement" in config,
            construct_scales=tuple(figures.get("construct_scales") or ()),
            likert_scales=tuple(figures.get("likert_scales") or ()),
        )
        if stages.hypotheses:
            check_register_tables(register or {}, stages.register_tables)
        return stages

    @property
    def register_tables(self) -> set[str]:
        """The model tables a hypotheses check may read that the stages turned on write."""
        return {table for table, on in (("choice_ame", self.multinomial), ("misalignment", self.misalignment),
                                        ("importance", self.importance), ("panel_deepening", self.panel)) if on}

    def check_power(self) -> list[str]:
        """Refuse power planning (``make power``) for a configuration without what it simulates.

        Returns
        -------
        list of str
            No file: the check is an input function of the power rules, run only when they are asked for.

        Raises
        ------
        StageConfigurationError
            Naming the sections missing: the power study draws the multinomial logit's choices and the
            misalignment models' performance, and counts the hypotheses register's checks.
        """
        missing = [name for name, on in (("the multinomial logit (choice.multinomial)", self.multinomial),
                                         ("the misalignment section", self.misalignment),
                                         ("the hypotheses register", self.hypotheses)) if not on]
        if missing:
            raise StageConfigurationError(f"power planning simulates the register's checks through the multinomial "
                                          f"logit and the misalignment models; this configuration lacks "
                                          f"{', '.join(missing)}")
        return []

    @property
    def wave_models(self) -> bool:
        """The per-wave multinomial logits and their stability tests (several waves, the multinomial logit)."""
        return self.waves and self.multinomial

    @property
    def figures(self) -> dict[str, list[str]]:
        """The figures each figure rule draws, by rule.

        Returns
        -------
        dict of str to list of str
            ``figures_descriptive``, ``figures_models`` and ``figures_waves``: the figure stems, in the
            order they are drawn; a rule with nothing to draw has an empty list.
        """
        scales = ["construct_scores"] if self.construct_scales else []
        descriptive = ["form_by_sector", *scales, "sample_flow", *(["reliability"] if scales else []),
                       *(["likert_items"] if self.likert_scales else [])]
        models = [*(["choice_coefficients", "choice_ame"] if self.multinomial else []),
                  *(["choice_predictions"] if self.profiles else []),
                  *(["performance_by_form"] if self.performance else []),
                  *(["misalignment", "form_overlap"] if self.misalignment else []),
                  *(["time_to_partnership"] if self.time_to_event else [])]
        waves = [*(["form_shares_by_wave"] if self.waves else []), *(["transitions_alluvial"] if self.panel else [])]
        return {"figures_descriptive": descriptive, "figures_models": models, "figures_waves": waves}

    @property
    def rules(self) -> list[str]:
        """The rules whose outputs ``rule all`` asks for.

        Returns
        -------
        list of str
            Rule names in the order of the workflow: the pooled data, descriptives, the choice
            stage (and its bootstrap), the stages turned on, the figure rules with something to
            draw, the publication tables and the report.
        """
        optional = {"choice_bootstrap": self.bootstrap, "measurement": self.measurement,
                    "performance": self.performance, "misalignment": self.misalignment,
                    "hypotheses": self.hypotheses, "waves": self.waves}
        figures = [rule for rule, stems in self.figures.items() if stems]
        return ["pool", "descriptives", "choice", *[rule for rule, on in optional.items() if on], *figures,
                "publication_tables", "report"]

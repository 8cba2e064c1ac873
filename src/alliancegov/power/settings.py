"""What the power study simulates: the register's checks it can set at an estimate, and the
pipeline's model settings a replicate needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from alliancegov.codebook.tables import Codebook

SUPPORTED_TABLES = ("choice_ame", "misalignment")


MISFIT_WHERE = {"model": "misfit", "term": "misfit"}


ALL_CHECKS = "all"


@dataclass(frozen=True)
class Effect:
    """One check of the hypotheses register: a row of a model table and its expected sign.

    Attributes
    ----------
    hypothesis : str
        The hypothesis id (``H1``).
    table : str
        The model table the check reads: ``choice_ame`` or ``misalignment``.
    where : tuple of (str, str)
        The (column, value) pairs that select the row, in the register's order.
    expected : str
        The expected sign of the estimate, as the register writes it (``positive``, ``negative``).
    """

    hypothesis: str
    table: str
    where: tuple[tuple[str, str], ...]
    expected: str

    @property
    def check(self) -> str:
        """The check as ``hypotheses.csv`` names it (``choice_ame: outcome=..., term=...``)."""
        return f"{self.table}: " + ", ".join(f"{k}={v}" for k, v in self.where)

    def get(self, key: str) -> str:
        """The value the check's row selection gives a column.

        Parameters
        ----------
        key : str
            A column of the model table (``model``, ``outcome``, ``term``).

        Returns
        -------
        str
            Its value in ``where``, or the empty string if the check does not select on it.
        """
        return dict(self.where).get(key, "")


def register_effects(register: dict, hypotheses: list[str] | tuple[str, ...]) -> tuple[Effect, ...]:
    """The checks of ``hypotheses`` (ids) the power study simulates, in register order.

    Kept: every ``choice_ame`` check, and the ``misalignment`` check on the continuous misfit
    (``model=misfit, term=misfit``: the effect the simulator plants). Left out, because the
    simulator is not set at an estimate for them: tests on the analysis frame (means,
    proportions), the Shapley comparison, and the 0/1 misalignment models.

    Parameters
    ----------
    register : dict
        The hypotheses register as read from its YAML file (``hypotheses``: a list of ``id``,
        ``checks``).
    hypotheses : list or tuple of str
        The ids of the hypotheses to simulate, in the order their effects are returned.

    Returns
    -------
    tuple of Effect
        The simulable checks, hypothesis by hypothesis, each in register order.

    Raises
    ------
    ValueError
        For an unknown id or an id with no simulable check.
    """
    by_id = {h["id"]: h for h in register["hypotheses"]}
    effects = []
    for hypothesis in hypotheses:
        if hypothesis not in by_id:
            raise ValueError(f"hypothesis {hypothesis!r} is not in the register ({sorted(by_id)})")
        kept = []
        for check in by_id[hypothesis]["checks"]:
            where = {str(k): str(v) for k, v in check.get("where", {}).items()}
            if check.get("test", "coefficient") != "coefficient" or check.get("table") not in SUPPORTED_TABLES:
                continue
            if check["table"] == "misalignment" and where != MISFIT_WHERE:
                continue
            kept.append(Effect(hypothesis, check["table"], tuple(where.items()), check["expected"]))
        if not kept:
            raise ValueError(f"{hypothesis} has no check the power study can simulate "
                             f"(a choice_ame check, or misalignment with {MISFIT_WHERE})")
        effects += kept
    return tuple(effects)


@dataclass(frozen=True)
class PowerSettings:
    """Everything a replicate needs besides the truth: the pipeline's model settings and the study's.

    Attributes
    ----------
    choice : ChoiceSpec
        The choice model (listwise: simulated samples have no missing answers).
    categories : tuple of str
        The outcome's answers in codebook order (market → hierarchy).
    performance : dict
        The config's ``performance`` section (derived variables, composite index, cluster).
    misalignment : MisalignmentSpec
        The two-stage model, with ``bootstrap_replicates`` already set to the study's B.
    effects : tuple of Effect
        The checks simulated (:func:`register_effects`).
    alpha : float, default=0.05
        Significance level of every test.
    population : int or None, default=None
        Firms simulated per replicate (None: exactly ``n``).
    seed : int, default=20261127
        Seed of the whole study.
    pipeline_bootstrap_replicates : int or None, default=None
        The B of the pipeline's own H7 test, named in the notes.
    """

    choice: object                 # alliancegov.choice.ChoiceSpec
    categories: tuple[str, ...]
    performance: dict
    misalignment: object           # alliancegov.performance.MisalignmentSpec
    effects: tuple[Effect, ...]
    alpha: float = 0.05
    population: int | None = None
    seed: int = 20261127
    pipeline_bootstrap_replicates: int | None = None   # the B of the pipeline's own H7 test

    @classmethod
    def from_config(cls, config: dict, register: dict, codebook: Codebook) -> PowerSettings:
        """From the pipeline's config (its ``power`` block and model sections) and the register.

        Parameters
        ----------
        config : dict
            The config: ``power`` (``hypotheses``, default ``[H1, H7]``; ``sample_sizes``, whose
            largest is the population; ``alpha``, default the register's, else 0.05;
            ``bootstrap_replicates``, default 99; ``seed``), ``choice`` (read without imputation:
            simulated data are complete), ``performance`` and ``misalignment``.
        register : dict
            The hypotheses register as read from its YAML file.
        codebook : Codebook
            Gives the outcome's answers in order.

        Returns
        -------
        PowerSettings
        """
        from alliancegov.choice.spec import ChoiceSpec
        from alliancegov.misalignment.two_stage import MisalignmentSpec

        power = config.get("power") or {}
        choice = ChoiceSpec.from_config(config["choice"])   # no imputation: simulated data are complete
        misalignment = MisalignmentSpec.from_config(config["misalignment"])
        pipeline_b = misalignment.bootstrap_replicates
        misalignment = replace(misalignment, bootstrap_replicates=int(power.get("bootstrap_replicates", 99)))
        sizes = power.get("sample_sizes", [])
        return cls(
            choice=choice,
            categories=tuple(codebook.answer_names(choice.outcome)),
            performance=config["performance"],
            misalignment=misalignment,
            effects=register_effects(register, power.get("hypotheses", ["H1", "H7"])),
            alpha=float(power.get("alpha", register.get("alpha", 0.05))),
            population=max(sizes) if sizes else None,
            seed=int(power.get("seed", 20261127)),
            pipeline_bootstrap_replicates=pipeline_b,
        )

    @property
    def needs_two_stage(self) -> bool:
        """Whether a ``misalignment`` check is simulated, so replicates fit the two-stage model."""
        return any(e.table == "misalignment" for e in self.effects)

    def note(self, truth: dict | None = None) -> dict[str, str]:
        """What each table's test is, by source table, for the output table; with the truth the
        replicates used (:func:`truth_at_estimates`), the misfit effect it was set at.

        Parameters
        ----------
        truth : dict, optional
            The truth the replicates were simulated at; its ``at_estimates`` record names the
            misfit coefficient and latent penalty.

        Returns
        -------
        dict of str to str
            A note for ``choice_ame``, ``misalignment`` and ``all`` (the joint row of a hypothesis).
        """
        misalignment = (f"two-stage percentile bootstrap with B={self.misalignment.bootstrap_replicates} per "
                        f"replicate (the pipeline: B={self.pipeline_bootstrap_replicates}), so power is slightly "
                        "conservative")
        setting = (truth or {}).get("at_estimates", {})
        if "misfit_coefficient" in setting:
            misalignment += (f"; simulated at the estimated misfit coefficient {setting['misfit_coefficient']:.4g} "
                             f"(latent penalty {setting['misalignment_penalty']:.4g}, {setting['penalty']})")
        return {
            "choice_ame": f"AME, {self.choice.cov_type} SE (delta method), z test at alpha={self.alpha:g}; "
                          "the pipeline's test",
            "misalignment": misalignment,
            ALL_CHECKS: "every simulated check of the hypothesis detected in the same replicate",
        }


def load_settings(settings: dict, register: str, codebook: Sequence[str]) -> PowerSettings:
    """The power study's settings from a rule's ``settings`` param (the config's ``power``,
    ``choice``, ``performance`` and ``misalignment`` sections), the register file and the codebook
    files.

    Parameters
    ----------
    settings : dict
        The config's ``power``, ``choice``, ``performance`` and ``misalignment`` sections.
    register : str
        The hypotheses register (YAML).
    codebook : sequence of str
        The codebook's three files.

    Returns
    -------
    PowerSettings
        The settings every power rule shares.
    """
    from pathlib import Path

    import yaml

    return PowerSettings.from_config(settings, yaml.safe_load(Path(register).read_text(encoding="utf-8")),
                                     Codebook.from_files(codebook))

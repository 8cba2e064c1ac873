"""What the choice model fits: the ``choice`` section of the config as a checked specification.
"""

from __future__ import annotations

from dataclasses import dataclass

COV_TYPES = ("model", "robust", "cluster", "design")


FIRTH_POLICIES = ("auto", "always", "never")


@dataclass(frozen=True)
class ChoiceSpec:
    """What to fit (``choice`` in the config).

    ``formula`` is the right-hand side in patsy syntax, e.g.
    ``asset_specificity + trust + C(sector, Treatment('services'))``. ``weights`` names a column
    of frequency weights. ``profiles`` are continuous regressors over which predicted
    probabilities are traced (``profile_points`` values from their observed minimum to maximum),
    separately for each level of the categorical regressor ``profile_by``. ``firth``: ``auto``
    fits Firth's penalised MNL when separation is detected, ``always`` or ``never``.
    ``bootstrap_replicates`` > 0 adds percentile bootstrap CIs (resampling clusters when
    ``cov_type`` is ``cluster``), seeded by ``seed``. ``ordered`` adds the ordered logit of the
    outcome on the codebook's order of categories (market → hierarchy). ``binary_outcome`` is a
    pandas expression (e.g. ``(equity_stake != 'none') | (new_legal_entity == 'yes')``) whose
    logit on the same regressors is fitted too (``yes`` against ``no``, labelled ``binary_name``
    in the table). ``cv_folds`` ≥ 2 adds
    the stratified k-fold predictive check. ``imputations`` > 0 imputes the model's variables by
    chained equations that many times (seeded by ``seed``) and pools the coefficients and AMEs by
    Rubin's rules; the other tables then use the complete cases. ``variants`` are alternative
    right-hand sides (name, formula) fitted like the main model and shown side by side.
    """

    outcome: str
    base: str
    formula: str
    cov_type: str = "cluster"
    cluster: str | None = "firm_key"
    weights: str | None = None
    level: float = 0.95
    profiles: tuple[str, ...] = ()
    profile_by: str | None = None
    profile_points: int = 9
    firth: str = "auto"
    bootstrap_replicates: int = 0
    seed: int = 20261127
    ordered: bool = True
    binary_outcome: str | None = None
    binary_name: str = "binary_outcome"
    cv_folds: int = 5
    sampling_weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: str = "error"
    imputations: int = 0
    imputation_iterations: int = 10
    variants: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {COV_TYPES}, not {self.cov_type!r}")
        if self.cov_type == "cluster" and not self.cluster:
            raise ValueError("cov_type 'cluster' needs a cluster variable")
        if self.cov_type == "design" and not (self.sampling_weights or self.strata or self.psu):
            raise ValueError("cov_type 'design' needs sampling_weights, strata or psu")
        if self.weights and self.cov_type == "design":
            raise ValueError("frequency weights and a survey design cannot be combined; "
                             "give the design's weights as sampling_weights")
        if self.firth not in FIRTH_POLICIES:
            raise ValueError(f"firth must be one of {FIRTH_POLICIES}, not {self.firth!r}")

    @property
    def design_columns(self) -> list[str]:
        return [c for c in (self.sampling_weights, self.strata, self.psu, self.fpc) if c] \
            if self.cov_type == "design" else []

    @property
    def tables(self) -> list[str]:
        """The tables the choice rule writes for this specification, in the order it writes them.

        Returns
        -------
        list of str
            The coefficient, marginal-effect, prediction, test, fit, classification,
            small-sample and Firth tables, then the optional ones the specification asks for
            (ordered logit, binary logit, cross-validation, variants). The bootstrap has rules of
            its own.
        """
        names = ["choice_mnl", "choice_ame", "choice_predictions", "choice_tests", "choice_fit",
                 "choice_classification", "choice_small_sample", "choice_firth"]
        names += ["choice_ordered", "choice_ordered_ame", "choice_ordered_brant"] if self.ordered else []
        names += ["choice_equity"] if self.binary_outcome else []
        names += ["choice_cv", "choice_cv_confusion"] if self.cv_folds >= 2 else []
        names += ["choice_variants"] if self.variants else []
        return names

    @classmethod
    def from_config(cls, section: dict, missing_data: dict | None = None) -> ChoiceSpec:
        """From the config's ``choice`` section and its ``missing_data`` section."""
        values = dict(section)
        values.pop("bootstrap_jobs", None)  # how the workflow splits the bootstrap, not part of the model
        values["profiles"] = tuple(values.get("profiles", ()))
        values["variants"] = tuple((values.get("variants") or {}).items())
        missing_data = missing_data or {}
        if missing_data.get("method", "listwise") == "mice":
            values["imputations"] = missing_data.get("imputations", 20)
            values["imputation_iterations"] = missing_data.get("iterations", 10)
        return cls(**values)

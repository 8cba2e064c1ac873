"""What the choice model fits: the ``choice`` section of the config as a checked specification.
"""

from __future__ import annotations

from dataclasses import dataclass

COV_TYPES = ("model", "robust", "cluster", "design")


FIRTH_POLICIES = ("auto", "always", "never")

BOOTSTRAP_METHODS = ("auto", "refit", "k_step")


def uses_refits(method: str, rows: int, refit_max_rows: int) -> bool:
    """Whether a bootstrap refits its model on each resample or takes Newton steps (``k_step``).

    Parameters
    ----------
    method : {"auto", "refit", "k_step"}
        The config's ``bootstrap_method``.
    rows : int
        Rows (firms) of the model's data.
    refit_max_rows : int
        The most rows ``auto`` still refits.

    Returns
    -------
    bool
        True for ``refit``, and for ``auto`` up to ``refit_max_rows`` rows.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`BOOTSTRAP_METHODS`.
    """
    if method not in BOOTSTRAP_METHODS:
        raise ValueError(f"bootstrap_method must be one of {BOOTSTRAP_METHODS}, not {method!r}")
    return method == "refit" or (method == "auto" and rows <= refit_max_rows)


@dataclass(frozen=True)
class ChoiceSpec:
    """What to fit (``choice`` in the config).

    Attributes
    ----------
    outcome : str
        The column of the governance form chosen.
    base : str or None
        The outcome category every other is compared with (coded 0); may be None when
        ``multinomial`` is False (the first category of the codebook's order that occurs).
    formula : str
        The right-hand side in patsy syntax, e.g.
        ``asset_specificity + trust + C(sector, Treatment('services'))``.
    cov_type : {"model", "robust", "cluster", "design"}, default="cluster"
        The standard errors: inverse information, sandwich, cluster sandwich, or a survey design's
        Taylor linearisation (see :mod:`alliancegov.choice`).
    cluster : str or None, default="firm_key"
        The column of cluster codes, needed when ``cov_type`` is ``cluster``.
    weights : str or None, default=None
        Names a column of frequency weights.
    level : float, default=0.95
        The confidence level of every interval.
    profiles : tuple of str, default=()
        Continuous regressors over which predicted probabilities are traced (``profile_points``
        values from their observed minimum to maximum), separately for each level of the
        categorical regressor ``profile_by``.
    profile_by : str or None, default=None
        The categorical regressor whose levels each get a curve of their own.
    profile_points : int, default=9
        Number of values on each profile's grid.
    firth : {"auto", "always", "never"}, default="auto"
        ``auto`` fits Firth's penalised MNL when separation is detected, ``always`` or ``never``.
    bootstrap_replicates : int, default=0
        > 0 adds percentile bootstrap CIs (resampling clusters when ``cov_type`` is ``cluster``),
        seeded by ``seed``.
    bootstrap_method : {"auto", "refit", "k_step"}, default="auto"
        ``refit`` refits the MNL on every resample; ``k_step`` takes Newton steps from the
        full-sample estimates on each resample, with the full-sample information, until the
        estimated distance from the resample's own optimum is below ``bootstrap_step_tolerance``
        model-based SEs (:func:`alliancegov.stats.bootstrap.newton_step_bootstrap`); ``auto``
        refits up to ``bootstrap_refit_max_rows`` rows and takes Newton steps above.
    bootstrap_refit_max_rows : int, default=100000
        The most rows ``auto`` still refits.
    bootstrap_step_tolerance : float, default=0.001
        The ``k_step`` bootstrap stops a resample's steps when their estimated distance from
        its own optimum (Aitken's, from the last two steps) is at most this many model-based
        standard errors in every coefficient.
    bootstrap_max_steps : int, default=20
        The most Newton steps of a ``k_step`` resample; one needing more fails (as a refit that
        does not converge).
    seed : int, default=20261127
        Seeds the bootstrap and the imputations (and the Small–Hsiao split of the IIA tests and the
        cross-validation folds).
    ordered : bool, default=True
        Adds the ordered logit of the outcome on the codebook's order of categories
        (market → hierarchy).
    binary_outcome : str or None, default=None
        A pandas expression (e.g. ``(equity_stake != 'none') | (new_legal_entity == 'yes')``) whose
        logit on the same regressors is fitted too (``yes`` against ``no``, labelled ``binary_name``
        in the table).
    binary_name : str, default="binary_outcome"
        The label of the binary logit's rows.
    cv_folds : int, default=5
        ≥ 2 adds the stratified k-fold predictive check.
    cv_max_rows : int, default=100000
        Above this many rows (after frequency weights are expanded), the predictive check runs on a
        seeded stratified random subsample of this many: at 100,000 rows the scores' sampling error
        (a fold SD of about 0.003 nats) is already far below the differences between models, and the
        k refits would otherwise each cost a full fit.
    sampling_weights, strata, psu, fpc : str or None, default=None
        Columns of the survey design when ``cov_type`` is ``design`` (at least one of the first
        three is needed): sampling weights, strata, primary sampling units and the finite
        population correction.
    iia_splits : int, default=50
        Random half splits of the Small–Hsiao IIA test (its result depends on the split).
    lonely_psu : {"error", "certainty", "adjust", "remove"}, default="error"
        What to do with a stratum of a single PSU under a survey design
        (:class:`alliancegov.stats.survey.design.SurveyDesign`).
    imputations : int, default=0
        > 0 imputes the model's variables by chained equations that many times (seeded by ``seed``)
        and pools the coefficients and AMEs by Rubin's rules; the other tables then use the complete
        cases.
    imputation_iterations : int, default=10
        Iterations of the chained equations per imputation.
    variants : tuple of (str, str), default=()
        Alternative right-hand sides (name, formula) fitted like the main model and shown side by
        side, on the rows complete for every one of them.
    nests : tuple of (str, tuple of str), default=()
        The nested logit's nests, (name, forms) pairs partitioning the outcome's forms (e.g. market:
        repeated contracts; hybrid: licensing and supply-chain partnerships; hierarchy: joint
        ventures). Empty: no nested logit.
    nested_logit : bool, default=True
        Fits the nested logit of ``nests`` against the MNL (table ``choice_nested``) when nests are
        given.
    multinomial : bool, default=True
        Fits the multinomial logit and its tables; False leaves them out for an analysis that is
        ordinal-only (``ordered``) or binary-only (``binary_outcome``).

    Raises
    ------
    ValueError
        If ``cov_type``, ``firth`` or ``bootstrap_method`` is not one of its values, fewer than one
        Newton step or a tolerance ≤ 0 is asked for, ``cov_type`` is ``cluster`` without a
        ``cluster`` column or ``design`` without sampling weights, strata or PSUs, or frequency
        ``weights`` are combined with a survey design, or there is no ``base`` with the multinomial
        logit, or nothing to fit without it.
    """

    outcome: str
    base: str | None
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
    bootstrap_method: str = "auto"
    bootstrap_refit_max_rows: int = 100_000
    bootstrap_step_tolerance: float = 0.001
    bootstrap_max_steps: int = 20
    seed: int = 20261127
    ordered: bool = True
    binary_outcome: str | None = None
    binary_name: str = "binary_outcome"
    cv_folds: int = 5
    cv_max_rows: int = 100_000
    iia_splits: int = 50
    sampling_weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: str = "error"
    imputations: int = 0
    imputation_iterations: int = 10
    variants: tuple[tuple[str, str], ...] = ()
    nests: tuple[tuple[str, tuple[str, ...]], ...] = ()
    nested_logit: bool = True
    multinomial: bool = True

    def __post_init__(self) -> None:
        if self.multinomial and not self.base:
            raise ValueError("choice.base is needed with the multinomial logit: the form every other is compared with")
        if not (self.multinomial or self.ordered or self.binary_outcome):
            raise ValueError("choice.multinomial is false and neither choice.ordered nor choice.binary_outcome is "
                             "set: there is no model of the choice outcome to fit")
        if self.cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {COV_TYPES}, not {self.cov_type!r}")
        if self.cov_type == "cluster" and not self.cluster:
            raise ValueError("cov_type 'cluster' needs a cluster variable")
        if self.cov_type == "design" and not (self.sampling_weights or self.strata or self.psu):
            raise ValueError("cov_type 'design' needs sampling_weights, strata or psu")
        if self.weights and self.cov_type == "design":
            raise ValueError("frequency weights and a survey design cannot be combined; "
                             "give the design's weights as sampling_weights")
        if self.bootstrap_method not in BOOTSTRAP_METHODS:
            raise ValueError(f"bootstrap_method must be one of {BOOTSTRAP_METHODS}, not {self.bootstrap_method!r}")
        if self.bootstrap_max_steps < 1 or not self.bootstrap_step_tolerance > 0:
            raise ValueError("bootstrap_max_steps must be at least 1 and bootstrap_step_tolerance positive")
        if self.firth not in FIRTH_POLICIES:
            raise ValueError(f"firth must be one of {FIRTH_POLICIES}, not {self.firth!r}")

    @property
    def design_columns(self) -> list[str]:
        """The survey design's columns (sampling weights, strata, PSU, fpc) given, when ``cov_type`` is
        ``design``; empty otherwise."""
        return [c for c in (self.sampling_weights, self.strata, self.psu, self.fpc) if c] \
            if self.cov_type == "design" else []

    def bootstrap_uses_refits(self, rows: int) -> bool:
        """Whether the bootstrap refits the model on each resample (else it takes Newton steps).

        Parameters
        ----------
        rows : int
            Rows of the model's design.

        Returns
        -------
        bool
            True for ``bootstrap_method`` ``refit``, and for ``auto`` up to
            ``bootstrap_refit_max_rows`` rows.
        """
        return uses_refits(self.bootstrap_method, rows, self.bootstrap_refit_max_rows)

    @property
    def tables(self) -> list[str]:
        """The tables the choice rule writes for this specification, in the order it writes them.

        Returns
        -------
        list of str
            With the multinomial logit, its coefficient, marginal-effect, test, fit,
            classification, small-sample and Firth tables (and the predictions with ``profiles``);
            then the optional ones the specification asks for (ordered logit, binary logit, and with
            the multinomial logit cross-validation, variants, nested logit). The bootstrap has rules
            of its own.
        """
        names = []
        if self.multinomial:
            names += ["choice_mnl", "choice_ame", *(["choice_predictions"] if self.profiles else []), "choice_tests",
                      "choice_fit", "choice_classification", "choice_small_sample", "choice_firth"]
        ordered = ["choice_ordered", "choice_ordered_ame", "choice_ordered_brant", "choice_ordered_fit"]
        names += ordered if self.ordered else []
        names += ["choice_equity", "choice_equity_ame"] if self.binary_outcome else []
        if self.multinomial:
            names += ["choice_cv", "choice_cv_confusion"] if self.cv_folds >= 2 else []
            names += ["choice_variants"] if self.variants else []
            names += ["choice_nested"] if self.nested_logit and self.nests else []
        return names

    @classmethod
    def from_config(cls, section: dict, missing_data: dict | None = None) -> ChoiceSpec:
        """Build the specification from the config's ``choice`` section and its ``missing_data`` section.

        Parameters
        ----------
        section : dict
            The config's ``choice`` section; ``bootstrap_jobs`` (how the workflow splits the
            bootstrap) is dropped, ``variants`` is a mapping of name to formula, ``nests`` a mapping
            of nest name to its forms.
        missing_data : dict or None, default=None
            The config's ``missing_data`` section; with ``method: mice`` it sets ``imputations``
            (default 20) and ``imputation_iterations`` (from ``iterations``, default 10).

        Returns
        -------
        ChoiceSpec
            The checked specification.

        Raises
        ------
        ValueError
            If the values are inconsistent (see the class).
        TypeError
            If the section holds a key that is not a field.
        """
        values = dict(section)
        values.setdefault("base", None)
        values.pop("bootstrap_jobs", None)  # how the workflow splits the bootstrap, not part of the model
        values["profiles"] = tuple(values.get("profiles", ()))
        values["variants"] = tuple((values.get("variants") or {}).items())
        values["nests"] = tuple((name, tuple(forms)) for name, forms in (values.get("nests") or {}).items())
        missing_data = missing_data or {}
        if missing_data.get("method", "listwise") == "mice":
            values["imputations"] = missing_data.get("imputations", 20)
            values["imputation_iterations"] = missing_data.get("iterations", 10)
        return cls(**values)

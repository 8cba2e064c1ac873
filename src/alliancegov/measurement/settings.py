"""The ``measurement:`` section of the config, with its defaults, checked against the data.

The schema (``workflow/schemas/config.schema.yaml``) validates the section's shape when the
workflow is built; :class:`MeasurementSettings` applies the same defaults when the stage runs
outside Snakemake (tests, notebooks) and checks the names it gives against the codebook and the
analysis frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alliancegov.codebook.tables import Codebook

DIAGONALS = ("alpha", "composite_reliability")
SIGNIFICANCE = ("stars", "p_value")
RELIABILITY_FORMS = ("implied", "observed")
HTMT_FORMS = ("htmt", "htmt2")
REPEATED_FIRMS = ("pooled", "latest")


@dataclass(frozen=True)
class MeasurementSettings:
    """What the measurement stage computes, and with which conventions.

    Attributes
    ----------
    scales : tuple of str
        The multi-item scales of the CFA, validity, invariance and common-method analyses (all
        the codebook's scales but the marker, unless the config lists them).
    correlation_variables : tuple of str
        Rows and columns of the correlation table: the constructs and key controls (default: the
        scales), the marker added when there is one.
    diagonal : {"alpha", "composite_reliability"}
        What the correlation table's diagonal shows for a scale.
    significance : {"stars", "p_value"}
        Stars at ``stars`` thresholds, or exact p-values, in the published matrix.
    stars : tuple of float
        The star thresholds (one star per threshold a p-value is below).
    missing : {"pairwise", "listwise"}
        Rows used by each correlation.
    cluster : str
        The column whose repeated values form one cluster (a firm across waves).
    vif_threshold : float
        A VIF (GVIF^(1/df)) above it is flagged.
    repeated_firms : {"pooled", "latest"}
        The CFA on every response (χ² and SEs then anticonservative) or on each firm's latest one.
    composite_reliability : {"implied", "observed"}
        Jöreskog's model-implied ω or semTools' observed-variance ω.
    htmt : {"htmt", "htmt2"}
        Henseler et al. (2015) or Roemer et al. (2021).
    htmt_threshold, loading_threshold : float
        HTMT above it, or a standardised loading below it, is flagged.
    cross_loading_alpha : float
        Family-wise level of the modification-index tests of absent loadings (Bonferroni).
    invariance_groups : tuple of str
        Columns across whose levels measurement invariance is tested.
    delta_cfi, delta_rmsea : float
        A step of invariance fails when CFI drops by more than ``delta_cfi`` and RMSEA rises by
        more than ``delta_rmsea`` (Chen 2007; see :func:`alliancegov.measurement.factors.held`).
    marker : str or None
        A scale or variable theoretically unrelated to the others (Lindell & Whitney 2001).
    method_equal_loadings : bool
        Hold the unmeasured method factor's loadings equal (identifies it in most data).
    key_variables : tuple of str
        Variables of the early/late and attrition comparisons (default: the correlation variables).
    time_variable : str
        The submission time that orders respondents within a wave.
    reliability_threshold, ave_threshold : float
        α or CR below ``reliability_threshold``, or AVE below ``ave_threshold``, flags a scale.
    derived : dict of str to str
        The performance section's derived variables (name -> expression), for the VIF and the
        variables a flag travels to.
    index : dict
        The performance section's composite index (``name``, ``components``), likewise.
    """

    scales: tuple[str, ...]
    correlation_variables: tuple[str, ...]
    diagonal: str = "alpha"
    significance: str = "stars"
    stars: tuple[float, ...] = (0.05, 0.01, 0.001)
    missing: str = "pairwise"
    cluster: str = "firm_key"
    vif_threshold: float = 5.0
    repeated_firms: str = "pooled"
    composite_reliability: str = "implied"
    htmt: str = "htmt"
    htmt_threshold: float = 0.85
    loading_threshold: float = 0.5
    cross_loading_alpha: float = 0.05
    invariance_groups: tuple[str, ...] = ("wave",)
    delta_cfi: float = 0.01
    delta_rmsea: float = 0.015
    marker: str | None = None
    method_equal_loadings: bool = True
    key_variables: tuple[str, ...] = ()
    time_variable: str = "submission_time"
    reliability_threshold: float = 0.70
    ave_threshold: float = 0.50
    derived: dict = field(default_factory=dict)
    index: dict = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: Mapping, codebook: Codebook,
                    performance: Mapping | None = None) -> MeasurementSettings:
        """Settings from the config's ``measurement:`` section, defaults filled in.

        Parameters
        ----------
        section : mapping
            The ``measurement:`` section (see the README for its keys).
        codebook : Codebook
            The scales and their items.
        performance : mapping, optional
            The config's ``performance:`` section (its ``derived`` variables and ``index``).

        Returns
        -------
        MeasurementSettings

        Raises
        ------
        ValueError
            If a choice is not among the allowed ones, a scale is unknown, a scale has fewer than
            two items, or the marker is among the CFA's scales.
        """
        known = list(codebook.scales["scale"])
        correlations = dict(section.get("correlations") or {})
        cfa = dict(section.get("cfa") or {})
        invariance = dict(section.get("invariance") or {})
        method = dict(section.get("common_method") or {})
        nonresponse = dict(section.get("nonresponse") or {})
        flags = dict(section.get("flags") or {})
        marker = method.get("marker") or None
        scales = tuple(section.get("scales") or [s for s in known if s != marker])
        unknown = [s for s in scales if s not in known]
        if unknown:
            raise ValueError(f"measurement.scales: {unknown} are not scales of the codebook ({known})")
        if marker is not None and marker in scales:
            raise ValueError(f"measurement.common_method.marker {marker!r} is also listed among the scales")
        short = [s for s in scales if len(codebook.items(s)) < 2]
        if short:
            raise ValueError(f"measurement.scales: {short} have fewer than two items (no factor model)")
        variables = tuple(correlations.get("variables") or scales)
        if marker is not None and marker not in variables:
            variables = (*variables, marker)
        settings = cls(
            scales=scales, correlation_variables=variables,
            diagonal=correlations.get("diagonal", "alpha"),
            significance=correlations.get("significance", "stars"),
            stars=tuple(sorted(correlations.get("stars", (0.05, 0.01, 0.001)), reverse=True)),
            missing=correlations.get("missing", "pairwise"),
            cluster=section.get("cluster", "firm_key"),
            vif_threshold=float((section.get("vif") or {}).get("threshold", 5.0)),
            repeated_firms=cfa.get("repeated_firms", "pooled"),
            composite_reliability=cfa.get("composite_reliability", "implied"),
            htmt=cfa.get("htmt", "htmt"), htmt_threshold=float(cfa.get("htmt_threshold", 0.85)),
            loading_threshold=float(cfa.get("loading_threshold", 0.5)),
            cross_loading_alpha=float(cfa.get("cross_loading_alpha", 0.05)),
            invariance_groups=tuple(invariance.get("groups", ("wave",))),
            delta_cfi=float(invariance.get("delta_cfi", 0.01)),
            delta_rmsea=float(invariance.get("delta_rmsea", 0.015)),
            marker=marker, method_equal_loadings=bool(method.get("equal_loadings", True)),
            key_variables=tuple(nonresponse.get("key_variables") or variables),
            time_variable=nonresponse.get("time_variable", "submission_time"),
            reliability_threshold=float(flags.get("reliability", 0.70)),
            ave_threshold=float(flags.get("ave", 0.50)),
            derived=dict((performance or {}).get("derived") or {}),
            index=dict((performance or {}).get("index") or {}))
        settings._check_choices()
        return settings

    def _check_choices(self) -> None:
        for name, value, allowed in (("correlations.diagonal", self.diagonal, DIAGONALS),
                                     ("correlations.significance", self.significance, SIGNIFICANCE),
                                     ("correlations.missing", self.missing, ("pairwise", "listwise")),
                                     ("cfa.composite_reliability", self.composite_reliability, RELIABILITY_FORMS),
                                     ("cfa.htmt", self.htmt, HTMT_FORMS),
                                     ("cfa.repeated_firms", self.repeated_firms, REPEATED_FIRMS)):
            if value not in allowed:
                raise ValueError(f"measurement.{name} must be one of {list(allowed)}, not {value!r}")

    def factors(self, codebook: Codebook) -> dict[str, list[str]]:
        """The CFA's factors: each scale and its items, in codebook order.

        Parameters
        ----------
        codebook : Codebook
            The scales' items.

        Returns
        -------
        dict of str to list of str
        """
        return {scale: codebook.items(scale)["name"].tolist() for scale in self.scales}

    def check_columns(self, columns: Sequence[str]) -> None:
        """Raise if a variable the settings name is not a column of the analysis frame.

        Parameters
        ----------
        columns : sequence of str
            The analysis frame's columns.

        Raises
        ------
        ValueError
            Naming the settings' key and the unknown variables.
        """
        available = set(columns)
        for name, names in (("correlations.variables", self.correlation_variables),
                            ("nonresponse.key_variables", self.key_variables)):
            unknown = [variable for variable in names if variable not in available]
            if unknown:
                raise ValueError(f"measurement.{name}: {unknown} are not columns of the analysis frame")

"""Quality flags of one wave's responses: one boolean per rule, with the values that raised it.

Flags (the rules a configuration may list in ``qc.exclusion_rules``):

* ``no_consent``: consent is not "yes" (the configured ``consent.value``), or is blank;
* ``duplicate_submission``: a submission id already seen (the first copy is kept; blank ids are
  never duplicates of each other);
* ``duplicate_firm``: a firm already interviewed in this wave (the earliest submission is kept,
  by parsed submission time, then by row);
* ``blank_firm_id``: the firm identifier is blank (the response is keyed by its own row, so it can
  be neither linked across waves nor recognised as a firm interviewed twice);
* ``short_row``: the row of a delimited file had fewer fields than the header (the answers after
  the cut are lost);
* ``unknown_value``: an answer matched no code or label and was quarantined at ingestion;
* ``invalid_date``: a date no declared format reads, or an impossible one (30 February);
* ``out_of_range``: a value the codebook schema rejects (pandera, all failures collected);
* ``skip_logic``: a question answered where the codebook's ``relevant`` condition says it does
  not apply, or coded "non applicable" where it does;
* ``speeder``: interview shorter than ``speeder_fraction`` × the wave's median duration (over the
  responses not flagged ``no_consent``);
* ``straightlining``: the longest run of identical answers over the Likert items in
  questionnaire order (the attention item left out) reaches ``straightlining_min_run``;
* ``failed_attention_check``: the attention item answered, but not with the instructed answer.

The flags raised while reading (``blank_firm_id``, ``short_row``, ``unknown_value``,
``invalid_date``) come in the ingested columns of :data:`~alliancegov.ingest.settings.INGEST_FLAGS`,
as descriptions that never repeat the raw text. A check whose variables the wave does not have (no
consent question, no duration, no attention item, no Likert items, no submission id) flags nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.clean.nonresponse import NONRESPONSE_KINDS
from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.validation import validation_schema
from alliancegov.ingest.settings import INGEST_FLAGS

RULES = ("no_consent", "duplicate_submission", "duplicate_firm", "blank_firm_id", "short_row", "unknown_value",
         "invalid_date", "out_of_range", "skip_logic", "speeder", "straightlining", "failed_attention_check")


@dataclass(frozen=True)
class QualitySettings:
    """Quality-control settings (``qc`` in the config).

    Attributes
    ----------
    exclusion_rules : tuple of str
        The rules that exclude a response, in order of precedence (an excluded response's reason
        is the first of them it raises); among :data:`RULES`.
    speeder_fraction : float
        A response is a speeder when its duration is below this fraction of the median duration
        (of the wave's responses not flagged ``no_consent``).
    straightlining_min_run : int
        Length of the longest run of identical Likert answers from which a response is flagged.
    attention_variable : str or None
        The attention item (left out of the straightlining run); None turns the check off.
    attention_expected : float
        The instructed answer (code) of the attention item.
    consent_variable : str or None
        The consent question; None turns the check off.
    consent_value : str
        The answer that gives consent.
    duration_variable : str or None
        The interview duration; None turns the speeder check off.

    Raises
    ------
    ValueError
        If ``exclusion_rules`` names a rule not in :data:`RULES`.
    """

    exclusion_rules: tuple[str, ...] = RULES
    speeder_fraction: float = 0.3
    straightlining_min_run: int = 15
    attention_variable: str | None = "attention_check"
    attention_expected: float = 4
    consent_variable: str | None = "consent"
    consent_value: str = "yes"
    duration_variable: str | None = "interview_duration_min"

    @classmethod
    def from_config(cls, qc: dict) -> QualitySettings:
        """From the config's ``qc`` section; a check whose variable is not configured is off.

        Parameters
        ----------
        qc : dict
            ``exclusion_rules`` (required), optionally ``speeder_fraction`` (default 0.3),
            ``straightlining_min_run`` (15), ``attention_check`` (``variable`` and ``expected``,
            default 0), ``consent`` (``variable`` and ``value``, default "yes") and
            ``duration_variable``.

        Returns
        -------
        QualitySettings
            The settings; ``attention_variable``, ``consent_variable`` and ``duration_variable``
            are None where the section does not name them.
        """
        attention = qc.get("attention_check") or {}
        consent = qc.get("consent") or {}
        return cls(
            exclusion_rules=tuple(qc["exclusion_rules"]), speeder_fraction=qc.get("speeder_fraction", 0.3),
            straightlining_min_run=qc.get("straightlining_min_run", 15),
            attention_variable=attention.get("variable"), attention_expected=attention.get("expected", 0),
            consent_variable=consent.get("variable"), consent_value=consent.get("value", "yes"),
            duration_variable=qc.get("duration_variable"),
        )

    def __post_init__(self) -> None:
        unknown = set(self.exclusion_rules) - set(RULES)
        if unknown:
            raise ValueError(f"unknown exclusion rules {sorted(unknown)}; known: {RULES}")


def _longest_identical_run(answers: np.ndarray) -> np.ndarray:
    """Per row, the longest run of equal consecutive non-missing values; shape (n,)."""
    n, k = answers.shape
    longest = np.zeros(n, dtype=int)
    current = np.ones(n, dtype=int)
    for j in range(1, k):
        same = (answers[:, j] == answers[:, j - 1]) & ~np.isnan(answers[:, j])
        current = np.where(same, current + 1, 1)
        longest = np.maximum(longest, current)
    return np.where(np.isnan(answers).all(axis=1), 0, np.maximum(longest, 1))


def range_failures(frame: pd.DataFrame, codebook: Codebook, survey_year: int) -> pd.DataFrame:
    """Every schema failure as ``position, column, value, check`` (empty if the wave is valid).

    Parameters
    ----------
    frame : DataFrame
        One row per response, missing codes already set to missing.
    codebook : Codebook
        The codebook the schema comes from (:func:`~alliancegov.codebook.validation.validation_schema`).
    survey_year : int
        The wave's survey year (bounds written ``survey_year``).

    Returns
    -------
    DataFrame
        One row per failing cell: ``position`` (int, the row's 0-based position in ``frame``),
        ``column``, ``value`` (as text) and ``check`` (pandera's description of the check).
        Failures tied to no row (of a whole column) are not listed.
    """
    import pandera.errors

    schema = validation_schema(codebook, survey_year)
    try:
        schema.validate(frame.reset_index(drop=True), lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna()]
        return pd.DataFrame({"position": cases["index"].astype(int).to_numpy(),
                             "column": cases["column"].astype(str).to_numpy(),
                             "value": cases["failure_case"].astype(str).to_numpy(),
                             "check": cases["check"].astype(str).to_numpy()})
    return pd.DataFrame(columns=["position", "column", "value", "check"])


def skip_logic_failures(frame: pd.DataFrame, kinds: pd.DataFrame, codebook: Codebook) -> pd.Series:
    """Per row, the variables answered against their ``relevant`` condition ("" when consistent).

    ``relevant`` is a pandas expression over other variables (e.g. ``governance_form !=
    'repeated_contract'``); a row where a variable it uses is missing is not judged.

    Parameters
    ----------
    frame : DataFrame
        One row per response, missing codes already set to missing.
    kinds : DataFrame
        :func:`split_missing_codes`'s kinds for the same rows, in the same order.
    codebook : Codebook
        The variables' ``relevant`` conditions.

    Returns
    -------
    Series of str
        Index of ``frame``: per row, ``variable=value`` for each variable answered where it does
        not apply and ``variable=non applicable`` for each coded "non applicable" where it does,
        joined by "; "; "" when the row is consistent.
    """
    import re

    from alliancegov.expressions import evaluate

    problems = pd.Series("", index=frame.index, dtype="str")
    not_applicable = NONRESPONSE_KINDS.index("not_applicable")
    for variable, condition in zip(codebook.variables["name"], codebook.variables["relevant"]):
        if not condition or variable not in kinds:
            continue
        used = [name for name in re.findall(r"[A-Za-z_]\w*", condition) if name in frame.columns]
        judged = frame[used].notna().all(axis=1)
        relevant = evaluate(condition, frame, source=f"codebook: {variable}, column relevant").astype(bool) & judged
        answered = kinds[variable].to_numpy() == 0
        wrong = judged & ((~relevant & answered) | (relevant & (kinds[variable].to_numpy() == not_applicable)))
        text = np.where(answered, variable + "=" + frame[variable].astype(str), variable + "=non applicable")
        problems[wrong] = [f"{p}; {t}" if p else t for p, t in zip(problems[wrong], text[wrong.to_numpy()])]
    return problems


def _as_time(values: pd.Series) -> pd.Series:
    """Submission times as datetimes: already parsed at ingestion, or ISO text from an older file."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, format="ISO8601", errors="coerce")


def quality_flags(frame: pd.DataFrame, codebook: Codebook, settings: QualitySettings,
                  survey_year: int, kinds: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Boolean flag per rule (columns ``RULES``) and an ``offending`` text per rule and row.

    ``kinds`` (from :func:`split_missing_codes`) enables the skip-logic check. An offending text
    is only read where its rule flags the row; texts formatted one row at a time (speeder,
    straightlining) are written there only, so that cleaning needs no loop over every response.

    Parameters
    ----------
    frame : DataFrame
        One wave's responses, missing codes already set to missing, with ``firm_key``,
        ``source_row`` and the ingestion's flag columns; optionally ``submission_id`` and
        ``submission_time``.
    codebook : Codebook
        Bounds, value sets, ``relevant`` conditions and the Likert items (in questionnaire order).
    settings : QualitySettings
        The checks' variables and thresholds.
    survey_year : int
        The wave's survey year (bounds written ``survey_year``).
    kinds : DataFrame, optional
        :func:`split_missing_codes`'s kinds for the same rows; None skips the skip-logic check.

    Returns
    -------
    flags : DataFrame
        One bool column per rule of :data:`RULES` (every rule, configured or not), one row per
        response, index 0 .. n − 1.
    offending : DataFrame
        Same shape: per rule and row, the values that raised the flag (meaningful only where the
        flag is raised).

    Notes
    -----
    Among a firm's responses, the one kept by ``duplicate_firm`` is the first that is not a
    duplicate submission, by ``submission_time`` (the time parsed at ingestion, never its text;
    unknown times last) when the wave has it, then by ``source_row``.
    """
    frame = frame.reset_index(drop=True)
    flags = pd.DataFrame(False, index=frame.index, columns=list(RULES))
    offending = pd.DataFrame("", index=frame.index, columns=list(RULES))

    consent = settings.consent_variable
    if consent in frame:
        flags["no_consent"] = frame[consent].ne(settings.consent_value).fillna(True).to_numpy(bool)
        offending["no_consent"] = f"{consent}=" + frame[consent].fillna("(blank)").astype(str)

    if "submission_id" in frame and frame["submission_id"].notna().any():
        submission = frame["submission_id"]
        known = submission.notna() & submission.astype(str).str.strip().ne("")
        # blank ids say nothing about sameness: never duplicates of each other
        flags["duplicate_submission"] = (submission.duplicated(keep="first") & known).to_numpy(bool)
        offending["duplicate_submission"] = "submission_id=" + submission.astype(str)
    order = frame.assign(_dup=flags["duplicate_submission"].to_numpy())
    order_by = ["_dup", "source_row"]
    if "submission_time" in frame:   # by the time parsed at ingestion, never by its text
        order["_time"] = _as_time(frame["submission_time"])
        order_by = ["_dup", "_time", "source_row"]
    order = order.sort_values(order_by, kind="stable", na_position="last")
    first_of_firm = ~order["firm_key"].duplicated(keep="first") | order["_dup"]
    flags["duplicate_firm"] = ~first_of_firm.reindex(frame.index)
    offending["duplicate_firm"] = "firm interviewed earlier in the wave"

    for rule, column in INGEST_FLAGS.items():
        if column in frame:
            flags[rule] = frame[column].fillna("").ne("").to_numpy(bool)
            offending[rule] = frame[column].fillna("").astype(str)

    failures = range_failures(frame, codebook, survey_year)
    if len(failures):
        text = (failures["column"] + "=" + failures["value"]).groupby(failures["position"]).agg("; ".join)
        flags.loc[text.index, "out_of_range"] = True
        offending.loc[text.index, "out_of_range"] = text

    if kinds is not None:
        skips = skip_logic_failures(frame, kinds.reset_index(drop=True), codebook)
        flags["skip_logic"] = (skips != "").to_numpy(bool)
        offending["skip_logic"] = skips

    if settings.duration_variable in frame:
        duration = frame[settings.duration_variable]
        threshold = settings.speeder_fraction * duration[~flags["no_consent"]].median()
        flags["speeder"] = (duration < threshold).fillna(False).to_numpy(bool)
        offending.loc[flags["speeder"], "speeder"] = [
            f"{settings.duration_variable}={d:g} < {threshold:.1f}" for d in duration[flags["speeder"]]]

    likert_items = [v for v in codebook.of_type("likert") if v != settings.attention_variable and v in frame]
    if likert_items:
        runs = _longest_identical_run(frame[likert_items].to_numpy(float))
        flags["straightlining"] = runs >= settings.straightlining_min_run
        offending.loc[flags["straightlining"], "straightlining"] = [
            f"{r} identical answers in a row" for r in runs[flags["straightlining"].to_numpy()]]

    if settings.attention_variable in frame:
        attention = frame[settings.attention_variable]
        failed = attention.notna() & (attention != settings.attention_expected)
        flags["failed_attention_check"] = failed.to_numpy(bool)
        offending["failed_attention_check"] = f"{settings.attention_variable}=" + attention.astype(str)
    return flags, offending

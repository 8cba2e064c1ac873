"""Clean and validate one ingested wave: missing-value codes, quality flags, exclusions.

Every received response ends either in the analysed data or in the exclusions table with
exactly one reason: the first rule, in the configured order, whose flag it raises. Flags:

* ``no_consent``: consent is not "yes" (the configured ``consent.value``), or is blank;
* ``duplicate_submission``: a submission id already seen (the first copy is kept);
* ``duplicate_firm``: a firm already interviewed in this wave (the earliest submission is kept);
* ``unknown_value``: an answer matched no code or label and was quarantined at ingestion;
* ``out_of_range``: a value the codebook schema rejects (pandera, all failures collected);
* ``skip_logic``: a question answered where the codebook's ``relevant`` condition says it does
  not apply, or coded "non applicable" where it does;
* ``speeder``: interview shorter than ``speeder_fraction`` × the wave's median duration (over the
  responses not flagged ``no_consent``);
* ``straightlining``: the longest run of identical answers over the Likert items in
  questionnaire order (the attention item left out) reaches ``straightlining_min_run``;
* ``failed_attention_check``: the attention item answered, but not with the instructed answer.

A check whose variables the wave does not have (no consent question, no duration, no attention
item, no Likert items, no submission id) flags nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.codebook import Codebook, validation_schema
from alliancegov.ingest.stage import QUARANTINE_COLUMN

RULES = ("no_consent", "duplicate_submission", "duplicate_firm", "unknown_value", "out_of_range", "skip_logic",
         "speeder", "straightlining", "failed_attention_check")


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


@dataclass
class CleanWave:
    """A cleaned wave (or the pooled waves): the analysed responses and the accounts of the others.

    Attributes
    ----------
    analysed : DataFrame
        The responses kept, one row per response, missing codes as missing.
    exclusions : DataFrame
        One row per excluded response: ``wave, firm_key, source_row, submission_id, rule,
        offending``.
    flow : DataFrame
        The sample flow (:func:`wave_flow`): ``wave, step, reason, n``.
    nonresponse : DataFrame
        ``wave, variable, kind, n, share`` (:func:`item_nonresponse`, among analysed responses).
    respondents : DataFrame
        ``wave, firm_key, source_row, items, dont_know, refused, not_applicable, blank,
        share_missing`` (:func:`respondent_nonresponse`, analysed responses).
    TABLES : tuple of str
        The tables written as CSV besides ``analysed`` (a class constant, not a field).
    """

    analysed: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    nonresponse: pd.DataFrame
    respondents: pd.DataFrame

    TABLES = ("exclusions", "flow", "nonresponse", "respondents")

    @classmethod
    def read(cls, data: str, **tables: str) -> CleanWave:
        """A wave as :meth:`write` wrote it: the Parquet file of ``analysed`` and one CSV per table.

        Parameters
        ----------
        data : str
            The Parquet file of ``analysed``.
        **tables : str
            A CSV path for each name of :attr:`TABLES`.

        Returns
        -------
        CleanWave
            The wave; in the tables no value is read as missing, and ``firm_key``,
            ``submission_id`` and ``reason`` are read as text.
        """
        def read(path: str) -> pd.DataFrame:
            return pd.read_csv(path, dtype={"firm_key": str, "submission_id": str, "reason": str},
                               keep_default_na=False)

        return cls(pd.read_parquet(data), *(read(tables[name]) for name in cls.TABLES))

    def write(self, data: str, **tables: str) -> None:
        """Write ``analysed`` as Parquet at ``data`` and every table of :attr:`TABLES` as CSV.

        Parameters
        ----------
        data : str
            The Parquet file for ``analysed`` (written without the index).
        **tables : str
            A CSV path for each name of :attr:`TABLES`.
        """
        from alliancegov.safe_output import write_csv

        self.analysed.to_parquet(data, index=False)
        for name in self.TABLES:
            write_csv(getattr(self, name), tables[name])


NONRESPONSE_KINDS = ("answered", "dont_know", "refused", "not_applicable", "blank")


def split_missing_codes(frame: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace missing-value codes by missing, keeping what kind of nonresponse each cell was.

    Parameters
    ----------
    frame : DataFrame
        One row per response, answers as ingested (missing-value codes included).
    codebook : Codebook
        The variables' roles, types and missing-value codes.

    Returns
    -------
    values : DataFrame
        A copy of ``frame`` with the missing-value codes of every substantive variable set to
        missing.
    kinds : DataFrame
        Same index; one int8 column per substantive variable (not meta or identifying) that
        ``frame`` has, the index in ``NONRESPONSE_KINDS`` of each cell (0 answered,
        1 ne sait pas, 2 refus, 3 non applicable, 4 blank).

    Notes
    -----
    A select_one or select_multiple answer is a missing-value code when it is the code's name
    (``dont_know``...); an answer of another type when it equals the code as a number. A cell
    already missing before is ``blank``.
    """
    out = frame.copy()
    kinds = {}
    for variable in codebook.variables["name"]:
        if variable not in out or codebook.variables.at[variable, "role"] in ("meta", "identifying"):
            continue
        column = out[variable]
        kind = np.where(column.isna().to_numpy(), NONRESPONSE_KINDS.index("blank"), 0).astype("int8")
        codes = codebook.missing_codes(variable)
        if codes:
            is_select = codebook.variables.at[variable, "type"] in ("select_one", "select_multiple")
            keys = {name: (name if is_select else float(code)) for code, name in codes.items()}
            for name, key in keys.items():
                kind[(column == key).fillna(False).to_numpy(bool)] = NONRESPONSE_KINDS.index(name)
            out[variable] = column.where(~column.isin(list(keys.values())))
        kinds[variable] = kind
    return out, pd.DataFrame(kinds, index=frame.index)


def item_nonresponse(kinds: pd.DataFrame) -> pd.DataFrame:
    """Per variable and kind of nonresponse: count and share of responses (``variable, kind, n, share``).

    Parameters
    ----------
    kinds : DataFrame
        :func:`split_missing_codes`'s kinds, one row per response.

    Returns
    -------
    DataFrame
        One row per variable × kind of nonresponse (``dont_know, refused, not_applicable,
        blank``; answered cells are not listed), variables in column order: ``variable, kind``,
        ``n`` (int) and ``share`` (``n`` over the number of responses; NaN when there is none).
    """
    rows = []
    for variable in kinds.columns:
        counts = np.bincount(kinds[variable].to_numpy(), minlength=len(NONRESPONSE_KINDS))
        for code, name in enumerate(NONRESPONSE_KINDS[1:], start=1):
            rows.append((variable, name, int(counts[code]), counts[code] / len(kinds) if len(kinds) else np.nan))
    return pd.DataFrame(rows, columns=["variable", "kind", "n", "share"])


def respondent_nonresponse(kinds: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Per response: items asked, and how many were ne sait pas, refus, non applicable or blank.

    Parameters
    ----------
    kinds : DataFrame
        :func:`split_missing_codes`'s kinds, one row per response.
    values : DataFrame
        The same responses in the same order, with ``firm_key`` and ``source_row``.

    Returns
    -------
    DataFrame
        One row per response: ``firm_key, source_row``, ``items`` (the number of substantive
        variables, the columns of ``kinds``), the counts ``dont_know, refused, not_applicable,
        blank`` and ``share_missing`` = (dont_know + refused + blank) / (items − not_applicable),
        NaN when no item applies.
    """
    table = pd.DataFrame({"firm_key": values["firm_key"].to_numpy(), "source_row": values["source_row"].to_numpy(),
                          "items": kinds.shape[1]})
    for code, name in enumerate(NONRESPONSE_KINDS[1:], start=1):
        table[name] = (kinds.to_numpy() == code).sum(axis=1)
    missing = table[["dont_know", "refused", "blank"]].sum(axis=1)
    table["share_missing"] = missing / (table["items"] - table["not_applicable"]).where(lambda d: d > 0)
    return table


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
        The codebook the schema comes from (:func:`~alliancegov.codebook.validation_schema`).
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
        ``source_row`` and the ingestion's quarantine column; optionally ``submission_id`` and
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
    duplicate submission, by ``submission_time`` when the wave has it, then by ``source_row``.
    """
    frame = frame.reset_index(drop=True)
    flags = pd.DataFrame(False, index=frame.index, columns=list(RULES))
    offending = pd.DataFrame("", index=frame.index, columns=list(RULES))

    consent = settings.consent_variable
    if consent in frame:
        flags["no_consent"] = frame[consent].ne(settings.consent_value).fillna(True).to_numpy(bool)
        offending["no_consent"] = f"{consent}=" + frame[consent].fillna("(blank)").astype(str)

    if "submission_id" in frame and frame["submission_id"].notna().any():
        flags["duplicate_submission"] = frame["submission_id"].duplicated(keep="first")
        offending["duplicate_submission"] = "submission_id=" + frame["submission_id"].astype(str)
    order_by = ["_dup", "submission_time", "source_row"] if "submission_time" in frame else ["_dup", "source_row"]
    order = frame.assign(_dup=flags["duplicate_submission"]).sort_values(order_by)
    first_of_firm = ~order["firm_key"].duplicated(keep="first") | order["_dup"]
    flags["duplicate_firm"] = ~first_of_firm.reindex(frame.index)
    offending["duplicate_firm"] = "firm interviewed earlier in the wave"

    flags["unknown_value"] = frame[QUARANTINE_COLUMN].fillna("").ne("").to_numpy(bool)
    offending["unknown_value"] = frame[QUARANTINE_COLUMN].fillna("")

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


def clean_wave(ingested: pd.DataFrame, codebook: Codebook, settings: QualitySettings, *,
               survey_year: int) -> CleanWave:
    """Missing codes → missing, flags, first-matching-rule exclusion, row accounting.

    Parameters
    ----------
    ingested : DataFrame
        One wave's ingested responses (one ``wave`` value), with ``firm_key``, ``source_row`` and
        the ingestion's quarantine column.
    codebook : Codebook
        The survey's codebook.
    settings : QualitySettings
        The checks and the exclusion rules in order.
    survey_year : int
        The wave's survey year (bounds written ``survey_year``).

    Returns
    -------
    CleanWave
        ``analysed``: the responses no configured rule flags, missing codes as missing, with a
        ``survey_year`` column; ``exclusions``: the others, each with the first configured rule it
        raises; the flow, and nonresponse among the analysed responses.
    """
    wave = str(ingested["wave"].iloc[0])
    values, kinds = split_missing_codes(ingested.reset_index(drop=True), codebook)
    flags, offending = quality_flags(values, codebook, settings, survey_year, kinds)
    active = flags[list(settings.exclusion_rules)]
    if active.shape[1]:
        reason = active.idxmax(axis=1).where(active.any(axis=1))
    else:  # no exclusion rule configured: every response is analysed
        reason = pd.Series(np.nan, index=flags.index, dtype=object)
    excluded = reason.notna()
    rows = np.flatnonzero(excluded.to_numpy())
    exclusions = pd.DataFrame({
        "wave": wave,
        "firm_key": values.loc[excluded, "firm_key"].to_numpy(),
        "source_row": values.loc[excluded, "source_row"].to_numpy(),
        "submission_id": (values["submission_id"] if "submission_id" in values
                          else pd.Series("", index=values.index, dtype="str"))[excluded].to_numpy(),
        "rule": reason[excluded].to_numpy(),
        "offending": [offending.at[i, reason.iat[i]] for i in rows],
    })
    flow = wave_flow(wave, len(values), exclusions["rule"], settings.exclusion_rules)
    analysed = values.loc[~excluded].reset_index(drop=True).assign(survey_year=survey_year)
    kept = kinds.loc[~excluded].reset_index(drop=True)   # nonresponse among the analysed responses
    nonresponse = item_nonresponse(kept)
    nonresponse.insert(0, "wave", wave)
    respondents = respondent_nonresponse(kept, analysed)
    respondents.insert(0, "wave", wave)
    return CleanWave(analysed, exclusions, flow, nonresponse, respondents)


def wave_flow(wave: str, received: int, rules_applied: pd.Series, rule_order: tuple[str, ...]) -> pd.DataFrame:
    """Sample flow of one wave: received, excluded per rule (zeros kept), analysed.

    Parameters
    ----------
    wave : str
        The wave's label (``all`` for the pooled waves).
    received : int
        Responses received.
    rules_applied : Series of str
        The rule of each excluded response.
    rule_order : tuple of str
        The rules in the order of their rows.

    Returns
    -------
    DataFrame
        ``wave, step, reason, n``: a ``received`` row, one ``excluded`` row per rule of
        ``rule_order`` (reason the rule), then ``analysed`` (``received`` minus the exclusions);
        ``reason`` is "" on the other rows.
    """
    counts = rules_applied.value_counts()
    rows = [(wave, "received", "", received)]
    rows += [(wave, "excluded", rule, int(counts.get(rule, 0))) for rule in rule_order]
    rows.append((wave, "analysed", "", received - int(counts.sum())))
    return pd.DataFrame(rows, columns=["wave", "step", "reason", "n"])


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str], year: int, qc: dict) -> CleanWave:
    """The clean rule: one ingested wave to its analysed responses and the accounts of the others.

    Parameters
    ----------
    data : str
        Parquet file of the ingested wave.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``data`` (Parquet) and a CSV path per table of :attr:`CleanWave.TABLES`.
    year : int
        The wave's survey year (bounds such as "founded before the survey").
    qc : dict
        The config's ``qc`` section.

    Returns
    -------
    CleanWave
        The cleaned wave, as written.
    """
    import logging

    result = clean_wave(pd.read_parquet(data), Codebook.from_files(codebook), QualitySettings.from_config(qc),
                        survey_year=year)
    result.write(**outputs)
    logging.getLogger("alliancegov").info("%s", result.flow.to_string(index=False))
    return result

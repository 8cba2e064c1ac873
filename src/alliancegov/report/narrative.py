"""The short text that opens each part of the results, written from the run's tables.

Each paragraph quotes a few numbers (sample sizes, reliabilities, fit, the strongest effects,
the verdicts) and refers to the numbered tables and figures that hold the rest. The sentences
are the catalogue's (``narrative``), so both languages say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from alliancegov.messages import message
from alliancegov.report.cells import numeric_columns
from alliancegov.report.context import ReportContext

ALPHA = 0.05           # the effects the narrative names are those with p below it
NAMED_EFFECTS = 3      # at most this many effects named in a sentence
POOLED = "all"


def _p(p: float, context: ReportContext) -> str:
    text = context.numbers.p_value(p)
    return text if text.startswith("<") else message("narrative.p_equals", context.language, p=text)


def _join(items: list[str], context: ReportContext) -> str:
    return message("narrative.list_separator", context.language).join(items) or message("narrative.none",
                                                                                          context.language)


def _from_firms(context: ReportContext) -> str:
    """``", from 583 firms"`` when the responses are firms' and the choice model counts them, else nothing."""
    count = firms(context)
    return message("narrative.from_firms", context.language, firms=context.numbers.count(count)) if count else ""


def sample_counts(sample_flow: pd.DataFrame) -> dict[str, int]:
    """Totals over waves of responses ``received``, ``excluded`` and ``analysed``, and the number of ``waves``.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n`` with step in received / excluded / analysed; the pooled rows
        (wave ``all``) repeat the waves' totals and are not counted again.

    Returns
    -------
    dict of str to int
        Keys ``received``, ``excluded``, ``analysed`` (0 when a step is absent) and ``waves``.
    """
    waves = sample_flow[sample_flow["wave"].astype(str) != POOLED]
    totals = waves.groupby("step")["n"].sum()
    counts = {step: int(totals.get(step, 0)) for step in ("received", "excluded", "analysed")}
    return {**counts, "waves": int(waves["wave"].nunique())}


def firms(context: ReportContext) -> int:
    """Firms (clusters) of the choice model, or 0 when the fit table does not say.

    Parameters
    ----------
    context : ReportContext

    Returns
    -------
    int
    """
    fit = context.sources.get("choice_fit")
    if fit is None or not context.settings.get("firms", True):   # another survey's clusters are not firms
        return 0
    values = dict(zip(fit["statistic"].astype(str), pd.to_numeric(fit["value"], errors="coerce")))
    return int(values.get("n_clusters", values.get("n_obs", 0)) or 0)


def sample_paragraph(context: ReportContext, refer: Callable[[str], str]) -> str:
    """Responses received, excluded (the main reasons) and analysed; the most frequent form.

    Parameters
    ----------
    context : ReportContext
        ``extra["sample_flow"]`` and ``extra["data"]``.
    refer : callable
        Table key or figure stem → its reference (``"Table 1"``).

    Returns
    -------
    str
    """
    flow = context.extra["sample_flow"]
    counts, numbers, labeller = sample_counts(flow), context.numbers, context.labeller
    excluded = flow[(flow["step"] == "excluded") & (flow["wave"].astype(str) == POOLED) & (flow["n"] > 0)]
    reasons = [f"{labeller.value(str(r))} {numbers.count(int(n))}"
               for r, n in zip(excluded["reason"], excluded["n"])]
    forms = context.extra["data"][context.outcome].value_counts()
    years = [labeller.wave(w) for w in dict.fromkeys(flow["wave"].astype(str)) if w != POOLED]
    return message("narrative.sample", context.language, received=numbers.count(counts["received"]),
                   waves=counts["waves"], years=", ".join(years), excluded=numbers.count(counts["excluded"]),
                   reasons=_join(reasons, context), analysed=numbers.count(counts["analysed"]),
                   from_firms=_from_firms(context), outcome=labeller.variable(context.outcome),
                   flow_figure=refer("figure:sample_flow"),
                   descriptives_table=refer("descriptives"),
                   largest_form=labeller.answer(str(forms.index[0])) if len(forms) else "",
                   largest_share=f"{numbers.fixed(100 * forms.iloc[0] / forms.sum(), 1)} %" if len(forms) else "")


def measurement_paragraph(context: ReportContext, refer: Callable[[str], str]) -> str:
    """The range of the scales' alphas, the flagged scales, the CFA's fit.

    Parameters
    ----------
    context : ReportContext
    refer : callable

    Returns
    -------
    str
        ``""`` without the measurement stage's tables.
    """
    if "measurement_validity" not in context.sources or "measurement_cfa" not in context.sources:
        return ""
    numbers, labeller, language = context.numbers, context.labeller, context.language
    validity = numeric_columns(context.sources["measurement_validity"])
    alphas = validity.loc[validity["measure"] == "alpha", "value"]
    flags = context.sources.get("measurement_flags", pd.DataFrame(columns=["scale", "flagged"]))
    flagged = list(dict.fromkeys(flags.loc[flags["flagged"].astype(str).str.lower() == "true", "scale"]))
    flagged_text = (message("narrative.flagged_some", language, n=len(flagged),
                            names=", ".join(labeller.variable(s) for s in flagged),
                            flags_table=refer("measurement_flags"))
                    if flagged else message("narrative.flagged_none", language))
    fit = numeric_columns(context.sources["measurement_cfa"])
    fit = dict(zip(fit.loc[fit["part"] == "fit", "measure"], fit.loc[fit["part"] == "fit", "estimate"]))
    return message("narrative.measurement", language, alpha_min=numbers.fixed(alphas.min(), 2),
                   alpha_max=numbers.fixed(alphas.max(), 2), reliability_table=refer("measurement_reliability"),
                   flagged=flagged_text, cfi=numbers.fixed(fit.get("cfi"), 3), rmsea=numbers.fixed(fit.get("rmsea"), 3),
                   fit_table=refer("measurement_fit"))


def choice_paragraph(context: ReportContext, refer: Callable[[str], str]) -> str:
    """The choice model's size and fit, and its largest significant average marginal effects.

    Parameters
    ----------
    context : ReportContext
    refer : callable

    Returns
    -------
    str
    """
    if "choice_fit" not in context.sources or "choice_ame" not in context.sources:
        return ""   # no multinomial logit: the section shows the other choice models' tables alone
    numbers, labeller, language = context.numbers, context.labeller, context.language
    fit = context.sources["choice_fit"]
    values = dict(zip(fit["statistic"].astype(str), pd.to_numeric(fit["value"], errors="coerce")))
    ame = numeric_columns(context.sources["choice_ame"])
    strong = ame[ame["p_value"] < ALPHA].reindex(ame.loc[ame["p_value"] < ALPHA, "estimate"].abs()
                                                  .sort_values(ascending=False).index).head(NAMED_EFFECTS)
    effects = [message("narrative.choice_effect_level" if "[" in str(row.term) else "narrative.choice_effect", language,
                       term=labeller.term(str(row.term)),
                       form=labeller.answer(str(row.outcome)), ame=numbers.fixed(100 * row.estimate, 1),
                       p=_p(row.p_value, context)) for row in strong.itertuples()]
    effect_text = (message("narrative.choice_effects", language, ame_table=refer("choice_ame"),
                           effects=_join(effects, context)) if effects
                   else message("narrative.choice_no_effect", language, ame_table=refer("choice_ame")))
    return message("narrative.choice", language, n=numbers.count(int(values.get("n_obs", 0))),
                   from_firms=_from_firms(context), outcome=labeller.variable(context.outcome),
                   r2=numbers.fixed(values.get("mcfadden_r2"), 3),
                   mnl_table=refer("choice_mnl"), effects=effect_text)


def performance_paragraph(context: ReportContext, refer: Callable[[str], str]) -> str:
    """Each form's difference from the base form, and the misfit's effect.

    Parameters
    ----------
    context : ReportContext
        The ``performance_cov_type`` and ``performance_outcome`` settings.
    refer : callable

    Returns
    -------
    str
    """
    if "performance_ols" not in context.sources:
        return ""
    numbers, labeller, language = context.numbers, context.labeller, context.language
    ols = numeric_columns(context.rows("performance_ols", {"model": "by_form", "se_type": "$performance_cov_type",
                                                           "outcome": "$performance_outcome"}))
    forms = ols[ols["term"].astype(str).str.startswith(f"{context.outcome}[")]
    differences = [message("narrative.performance_difference", language, estimate=numbers.fixed(row.estimate, 3),
                           form=labeller.answer(str(row.term).split("[", 1)[1].rstrip("]")), p=_p(row.p_value, context))
                   for row in forms.itertuples()]
    misalignment = ""
    table = numeric_columns(context.sources.get("misalignment", pd.DataFrame(columns=["model", "term"])))
    misfit = table[(table["model"].astype(str) == "misfit") & (table["term"].astype(str) == "misfit")]
    if len(misfit):
        row = misfit.iloc[0]
        misalignment = message("narrative.misalignment_effect", language,
                               direction=message("narrative.higher" if row["estimate"] > 0 else "narrative.lower",
                                                 language),
                               estimate=numbers.fixed(abs(row["estimate"]), 3), low=numbers.fixed(row["conf_low"], 3),
                               high=numbers.fixed(row["conf_high"], 3), misalignment_table=refer("misalignment"))
    return message("narrative.performance", language, differences=_join(differences, context),
                   base=context.settings.get("base", ""),
                   ols_table=refer("performance_ols"), misalignment=misalignment)


def waves_paragraph(context: ReportContext, refer: Callable[[str], str]) -> str:
    """Firms followed between waves and the share of changes toward more hierarchy.

    Parameters
    ----------
    context : ReportContext
    refer : callable

    Returns
    -------
    str
        ``""`` without the panel's tables.
    """
    if "panel_links" not in context.sources or "panel_deepening" not in context.sources:
        return ""
    numbers = context.numbers
    links = numeric_columns(context.sources["panel_links"])
    deepening = numeric_columns(context.sources["panel_deepening"])
    upward = deepening[deepening["term"].astype(str) == "upward_share"]
    if upward.empty:
        return ""
    row = upward.iloc[0]
    return message("narrative.waves", context.language, linked=numbers.count(int(links["n_linked"].sum())),
                   upward=f"{numbers.fixed(100 * row['estimate'], 1)} %", p=_p(row["p_value"], context),
                   deepening_table=refer("panel_deepening"))


def verdict_counts(checks: pd.DataFrame) -> dict[str, int]:
    """How many hypotheses have each verdict.

    Parameters
    ----------
    checks : DataFrame
        ``hypotheses.csv`` (``hypothesis``, ``verdict``).

    Returns
    -------
    dict of str to int
        Keys ``n``, ``supported``, ``contradicted``, ``no effect``, ``inconclusive``.
    """
    verdicts = checks.groupby("hypothesis", sort=False)["verdict"].first()
    return {"n": len(verdicts), **{v: int((verdicts == v).sum())
                                   for v in ("supported", "contradicted", "no effect", "inconclusive")}}


def hypotheses_paragraph(context: ReportContext, refer: Callable[[str], str]) -> str:
    """How many hypotheses are supported (which), contradicted, without effect, inconclusive.

    Parameters
    ----------
    context : ReportContext
    refer : callable

    Returns
    -------
    str
    """
    if "hypotheses" not in context.sources:
        return ""
    checks = context.sources["hypotheses"]
    counts = verdict_counts(checks)
    verdicts = checks.groupby("hypothesis", sort=False)["verdict"].first()
    return message("narrative.hypotheses", context.language, n=counts["n"], supported=counts["supported"],
                   supported_list=_join([str(h) for h, v in verdicts.items() if v == "supported"], context),
                   contradicted=counts["contradicted"], no_effect=counts["no effect"],
                   inconclusive=counts["inconclusive"], summary_table=refer("hypotheses_summary"),
                   checks_table=refer("hypotheses"))


PARAGRAPHS: Mapping[str, Callable[[ReportContext, Callable[[str], str]], str]] = {
    "sample": sample_paragraph, "measurement": measurement_paragraph, "choice": choice_paragraph,
    "performance": performance_paragraph, "waves": waves_paragraph, "hypotheses": hypotheses_paragraph,
}


def methods_notes(context: ReportContext, config: Mapping) -> list[str]:
    """Plain-text method notes, from the run configuration and the fit tables.

    Parameters
    ----------
    context : ReportContext
        The ``choice_fit`` and ``performance_fit`` tables.
    config : mapping
        The run configuration: ``qc.exclusion_rules``, ``choice`` (``base``, ``cov_type``) and
        ``performance`` (``outcome``, ``cov_type``), ``report`` (``significance``, ``stars``).

    Returns
    -------
    list of str
        The notes on exclusions, scales, the choice model, the performance model and the
        tables' significance convention, then a warning if the choice model did not converge.
    """
    from alliancegov.publication import se_description

    language, labeller, numbers = context.language, context.labeller, context.numbers
    choice = {"cov_type": "cluster", **config["choice"]}
    report = config.get("report", {})
    marks = ", ".join(f"{'*' * (i + 1)} p < {numbers.general(t)}"
                      for i, t in enumerate(sorted(report.get("stars", (0.05, 0.01, 0.001)), reverse=True)))
    notes = [message("notes.exclusions", language, rules=", ".join(str(labeller.value(r))
                                                                   for r in config["qc"]["exclusion_rules"]))]
    if not context.codebook.scales.empty:
        notes.append(message("notes.scales", language))
    values = {}
    if "choice_fit" in context.sources:
        fit = context.sources["choice_fit"]
        values = dict(zip(fit["statistic"].astype(str), pd.to_numeric(fit["value"], errors="coerce")))
        cluster = (message("notes.cluster", language, n_clusters=numbers.count(int(values.get("n_clusters", 0))))
                   if choice["cov_type"] == "cluster" else "")
        notes.append(message("notes.choice", language, outcome=labeller.variable(context.outcome),
                             base=labeller.answer(choice["base"]), se=se_description(choice["cov_type"], language),
                             cluster=cluster, n=numbers.count(int(values.get("n_obs", 0))),
                             missing=numbers.count(int(values.get("n_missing", 0)))))
    if "performance_fit" in context.sources and config.get("performance"):
        performance = {"cov_type": "cluster", **config["performance"]}
        performance_fit = context.rows("performance_fit", {"outcome": performance["outcome"]})
        performance_values = dict(zip(performance_fit["statistic"].astype(str),
                                      pd.to_numeric(performance_fit["value"], errors="coerce")))
        notes.append(message("notes.performance", language, outcome=labeller.variable(performance["outcome"]),
                             se=se_description(performance["cov_type"], language),
                             n=numbers.count(int(performance_values.get("n", 0))),
                             missing=numbers.count(int(performance_values.get("n_missing", 0)))))
        if performance.get("centre"):
            notes.append(message("notes.centred", language,
                                 names=", ".join(labeller.variable(name) for name in performance["centre"])))
    notes.append(message("notes.significance_stars", language, marks=marks) if report.get("significance") == "stars"
                 else message("notes.significance_p", language))
    if values.get("converged", 1) != 1:
        notes.append(message("notes.not_converged", language))
    return notes



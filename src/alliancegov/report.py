"""One self-contained HTML report: figures embedded as data URIs, inline CSS, no script.

Everything that comes from data (table cells, notes, file names, the title, the
configuration) reaches the page escaped: the Jinja2 environment autoescapes, and tables
are escaped by pandas before being marked safe. Apart from the ``generated_at`` line the
page is a pure function of its inputs and of the software versions it reports, so two
runs on the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import importlib.metadata
import platform
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alliancegov.formatting import number_format

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

    from alliancegov.codebook import Codebook

TEMPLATES_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "report.html.j2"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURE_STEMS = ("form_by_sector", "construct_scores", "choice_coefficients", "choice_ame", "choice_predictions",
                "performance_by_form", "sample_flow", "reliability", "likert_items", "misalignment",
                "time_to_partnership", "form_shares_by_wave", "transitions_alluvial")
VERDICTS = {"fr": {"supported": "confirmée", "contradicted": "contredite", "inconclusive": "non concluante"},
           "en": {"supported": "supported", "contradicted": "contradicted", "inconclusive": "inconclusive"}}
TABLE_KEYS = ("hypotheses_summary", "descriptives", "reliability", "choice_mnl", "choice_ame", "choice_tests",
              "choice_fit", "choice_small_sample", "performance_ols", "performance_fit", "form_by_sector", "hypotheses",
              "performance_contrasts", "misalignment", "importance", "choice_stability", "panel_transitions",
              "panel_deepening")
PROVENANCE_COLUMNS = ("wave", "file", "format", "sha256", "rows")
VERSIONED_PACKAGES = ("alliancegov", "pandas", "numpy", "statsmodels", "scikit-learn", "seaborn", "snakemake")
# Configuration keys whose values would let a reader undo pseudonymisation or reach a service.
SECRET_KEY_PARTS = ("salt", "pepper", "secret", "password", "passphrase", "token", "api_key", "private_key")
REDACTED = "<redacted>"
TABLE_DECIMALS = 3
OUTCOME_COLUMNS = ("outcome", "from_state", "to_state")  # cells that are answers of the choice outcome
ALL_FORMS = "all"  # alliancegov.stats.transitions.ALL_STATES
POOLED_WAVE = "all"  # the pooled rows of the sample flow (alliancegov.clean.pool_waves)

REPORT_TEXT = {
    "fr": {
        "summary": "Synthèse",
        "sample": "Échantillon",
        "measurement": "Mesure",
        "choice": "Choix de la forme de gouvernance",
        "performance": "Performance",
        "waves": "Vagues et panel d'entreprises",
        "all_forms": "Toute forme (part des changements vers plus de hiérarchie)",
        "table_choice_stability": "Stabilité du modèle de choix entre les vagues",
        "table_panel_transitions": "Probabilités de transition d'une vague à la suivante (chaîne de Markov)",
        "table_panel_deepening": "Les relations s'approfondissent-elles ? Changements de forme vers plus de hiérarchie",
        "methods_notes": "Notes de méthode",
        "provenance": "Provenance",
        "sample_summary": (
            "{analysed} réponses analysées sur {received} reçues ({excluded} exclues), "
            "en {waves} vague(s) d'enquête."
        ),
        "table_form_by_sector": "Formes de gouvernance par secteur",
        "table_sample_flow": "Réponses reçues, exclues et analysées par vague",
        "table_reliability": "Fiabilité des échelles",
        "table_choice_mnl": "Logit multinomial : coefficients",
        "table_choice_fit": "Logit multinomial : qualité d'ajustement",
        "table_choice_ame": "Logit multinomial : effets marginaux moyens sur la probabilité de chaque forme",
        "table_hypotheses_summary": "Hypothèses de l'étude : verdicts",
        "table_descriptives": ("Statistiques descriptives selon la forme de gouvernance : moyenne (écart-type) ou "
                               "effectif (% de la colonne) ; x : case masquée (sous le seuil de diffusion)"),
        "table_hypotheses": "Hypothèses de l'étude : chaque vérification, son estimation et son verdict",
        "table_performance_contrasts": "Performance : écarts entre formes (p ajustées de Holm)",
        "table_misalignment": "Désalignement et performance (corrections de sélection, bootstrap des deux étapes)",
        "table_importance": "Importance relative : décomposition de Shapley du R²",
        "table_choice_tests": "Logit multinomial : tests (Wald, rapport de vraisemblance, regroupement, IIA)",
        "table_choice_small_sample": "Petits échantillons : événements par paramètre et séparation",
        "table_performance_ols": "Régression de la performance (MCO) : coefficients",
        "table_performance_fit": "Régression de la performance (MCO) : qualité d'ajustement",
        "inputs": "Fichiers d'entrée",
        "configuration": "Configuration",
        "software": "Logiciels",
        "git_commit": "Version du code (commit git) :",
        "generated_at": "Rapport généré le",
        "not_installed": "non installé",
        "step_received": "reçues",
        "step_excluded": "exclues",
        "step_analysed": "analysées",
    },
    "en": {
        "summary": "Summary",
        "sample": "Sample",
        "measurement": "Measurement",
        "choice": "Choice of governance form",
        "performance": "Performance",
        "waves": "Waves and the panel of firms",
        "all_forms": "Any form (share of changes toward more hierarchy)",
        "table_choice_stability": "Stability of the choice model across waves",
        "table_panel_transitions": "Transition probabilities from one wave to the next (Markov chain)",
        "table_panel_deepening": "Do relationships deepen? Changes of form toward more hierarchy",
        "methods_notes": "Methods notes",
        "provenance": "Provenance",
        "sample_summary": (
            "{analysed} responses analysed out of {received} received ({excluded} excluded), "
            "over {waves} survey wave(s)."
        ),
        "table_form_by_sector": "Governance forms by sector",
        "table_sample_flow": "Responses received, excluded and analysed by wave",
        "table_reliability": "Scale reliability",
        "table_choice_mnl": "Multinomial logit: coefficients",
        "table_choice_fit": "Multinomial logit: goodness of fit",
        "table_choice_ame": "Multinomial logit: average marginal effects on each form's probability",
        "table_hypotheses_summary": "The study's hypotheses: verdicts",
        "table_descriptives": ("Descriptive statistics by governance form: mean (SD) or count (% of the column); "
                               "x: suppressed cell (under the disclosure minimum)"),
        "table_hypotheses": "The study's hypotheses: each check with its estimate and verdict",
        "table_performance_contrasts": "Performance: differences between forms (Holm-adjusted p)",
        "table_misalignment": "Misalignment and performance (selection corrections, two-stage bootstrap)",
        "table_importance": "Relative importance: Shapley decomposition of R²",
        "table_choice_tests": "Multinomial logit: tests (Wald, likelihood ratio, combining forms, IIA)",
        "table_choice_small_sample": "Small samples: events per parameter and separation",
        "table_performance_ols": "Performance regression (OLS): coefficients",
        "table_performance_fit": "Performance regression (OLS): goodness of fit",
        "inputs": "Input files",
        "configuration": "Configuration",
        "software": "Software",
        "git_commit": "Code version (git commit):",
        "generated_at": "Report generated on",
        "not_installed": "not installed",
        "step_received": "received",
        "step_excluded": "excluded",
        "step_analysed": "analysed",
    },
}

COLUMN_LABELS = {
    "fr": {
        "outcome": "Issue", "term": "Terme", "estimate": "Estimation", "std_error": "Erreur type",
        "statistic": "Statistique", "p_value": "p", "conf_low": "IC 95 % (bas)", "conf_high": "IC 95 % (haut)",
        "sector": "Secteur", "governance_form": "Forme de gouvernance", "n": "n", "share": "Part",
        "wave": "Vague", "step": "Étape", "reason": "Motif", "file": "Fichier", "format": "Format",
        "sha256": "SHA-256", "rows": "Lignes", "package": "Logiciel", "version": "Version",
        "claim": "Énoncé", "check": "Vérification", "check_verdict": "Verdict de la vérification",
        "verdict": "Verdict", "checks_supported": "Vérifications confirmées",
        "from_state": "De (vague t)", "to_state": "Vers (vague t + 1)", "row_total": "Total de la ligne",
        "count_up": "n (de → vers)", "count_down": "n (vers → de)", "test": "Test", "hypothesis": "Hypothèse",
        "df": "ddl", "note": "Note",
    },
    "en": {
        "outcome": "Outcome", "term": "Term", "estimate": "Estimate", "std_error": "Std. error",
        "statistic": "Statistic", "p_value": "p", "conf_low": "95% CI (low)", "conf_high": "95% CI (high)",
        "sector": "Sector", "governance_form": "Governance form", "n": "n", "share": "Share",
        "wave": "Wave", "step": "Step", "reason": "Reason", "file": "File", "format": "Format",
        "sha256": "SHA-256", "rows": "Rows", "package": "Software", "version": "Version",
        "claim": "Claim", "check": "Check", "check_verdict": "Check verdict", "verdict": "Verdict",
        "checks_supported": "Checks supported",
        "from_state": "From (wave t)", "to_state": "To (wave t + 1)", "row_total": "Row total",
        "count_up": "n (from → to)", "count_down": "n (to → from)", "test": "Test", "hypothesis": "Hypothesis",
        "df": "df", "note": "Note",
    },
}


def table_html(table: pd.DataFrame, language: str) -> Markup:
    """``table`` as an escaped HTML table: known column names translated, floats with 3 decimals.

    Input: any DataFrame (its index is not shown). Every header and cell is HTML-escaped by
    pandas before the result is marked safe for the template.
    """
    from markupsafe import Markup

    labelled = table.rename(columns=COLUMN_LABELS[language])
    numbers = number_format(language)
    html = labelled.to_html(escape=True, index=False, float_format=lambda value: numbers.fixed(value, TABLE_DECIMALS),
                            na_rep="", border=0, classes="data")
    return Markup(html)


def label_cells(table: pd.DataFrame, codebook: Codebook, language: str, outcome: str) -> pd.DataFrame:
    """``table`` with codebook labels in ``language`` in place of canonical names, as a reader
    expects them in a published table: ``term`` cells (``sector[textile]`` → "Secteur :
    Textile-habillement", a scale → its label), answers in any column named after a codebook
    question (``outcome`` cells are answers of the ``outcome`` question), and those columns'
    headers. Names the codebook does not know stay as written."""
    out = table.copy()
    if "term" in out:
        out["term"] = out["term"].map(lambda t: codebook.term_label(t, language) if isinstance(t, str) else t)
    headers = {}
    for column in out.columns:
        variable = outcome if column in OUTCOME_COLUMNS else column
        if variable not in codebook.variables.index:
            continue
        if codebook.variables.at[variable, "list_name"]:
            answers = {name: codebook.answer_label(variable, name, language)
                       for name in codebook.answer_names(variable)}
            if column in OUTCOME_COLUMNS:  # the panel tables' row over every form
                answers[ALL_FORMS] = REPORT_TEXT[language]["all_forms"]
            out[column] = out[column].map(lambda value, answers=answers: answers.get(value, value))
        if column not in COLUMN_LABELS[language]:
            headers[column] = codebook.label(variable, language)
    return out.rename(columns=headers)


def hypotheses_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis of the register's evaluation (``alliancegov.hypotheses``): its id,
    claim, verdict, and how many of its checks are supported (``"2/3"``)."""
    grouped = checks.groupby("hypothesis", sort=False)
    supported = grouped["check_verdict"].agg(lambda v: f"{int((v == 'supported').sum())}/{len(v)}")
    return pd.DataFrame({"hypothesis": list(grouped.groups), "claim": grouped["claim"].first().to_numpy(),
                         "verdict": grouped["verdict"].first().to_numpy(), "checks_supported": supported.to_numpy()})


def translate_verdicts(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """Verdict cells in ``language``."""
    columns = [c for c in ("check_verdict", "verdict") if c in table]
    return table.assign(**{c: table[c].map(lambda v: VERDICTS[language].get(v, v)) for c in columns})


def png_data_uri(path: str | Path) -> str:
    """The PNG file at ``path`` as a ``data:image/png;base64,...`` URI (raises if it is not a PNG)."""
    content = Path(path).read_bytes()
    if not content.startswith(PNG_SIGNATURE):
        raise ValueError(f"{path} is not a PNG file")
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def sample_counts(sample_flow: pd.DataFrame) -> dict[str, int]:
    """Totals over waves of responses ``received``, ``excluded`` and ``analysed``, and the number of ``waves``.

    Input: ``wave, step, reason, n`` with step in received / excluded / analysed; the pooled
    rows (wave ``all``) repeat the waves' totals and are not counted again.
    """
    waves = sample_flow[sample_flow["wave"].astype(str) != POOLED_WAVE]
    totals = waves.groupby("step")["n"].sum()
    counts = {step: int(totals.get(step, 0)) for step in ("received", "excluded", "analysed")}
    return {**counts, "waves": int(waves["wave"].nunique())}


def sample_flow_table(sample_flow: pd.DataFrame, language: str) -> pd.DataFrame:
    """The sample flow with its steps named in ``language``, as shown in the report."""
    steps = {step: REPORT_TEXT[language][f"step_{step}"] for step in ("received", "excluded", "analysed")}
    named_steps = sample_flow["step"].map(steps).fillna(sample_flow["step"])
    return sample_flow[["wave", "step", "reason", "n"]].assign(step=named_steps)


def provenance_table(provenance: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per input file: ``wave, file, format, sha256, rows``.

    Input: one dict per input with at least those keys (others are ignored). Only the file
    name is kept from ``file``: a local path would reveal user names and folder layout.
    """
    missing = [sorted(set(PROVENANCE_COLUMNS) - set(entry)) for entry in provenance]
    if any(missing):
        raise KeyError(f"provenance entries lack keys: {missing}")
    table = pd.DataFrame([{column: entry[column] for column in PROVENANCE_COLUMNS} for entry in provenance],
                         columns=list(PROVENANCE_COLUMNS))
    return table.assign(file=[Path(str(name)).name for name in table["file"]])


def is_secret_key(key: object) -> bool:
    """Whether a configuration key names a secret (salt, password, token, ...)."""
    folded = str(key).casefold()
    return any(part in folded for part in SECRET_KEY_PARTS)


def redact_config(config: Any) -> Any:
    """A copy of ``config`` (nested dicts and lists) with the values of secret-looking keys replaced."""
    if isinstance(config, dict):
        return {key: REDACTED if is_secret_key(key) else redact_config(value) for key, value in config.items()}
    if isinstance(config, list | tuple):
        return [redact_config(value) for value in config]
    return config


def config_yaml(config: dict) -> str:
    """The run configuration as YAML, secrets redacted, keys in their given order."""
    import yaml

    return yaml.safe_dump(redact_config(config), allow_unicode=True, sort_keys=False, default_flow_style=False)


def package_version(name: str) -> str | None:
    """Installed version of distribution ``name``, or None if it is not installed.

    Read from package metadata, so reporting a version never imports the package.
    """
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def software_versions(language: str) -> pd.DataFrame:
    """``package, version`` rows for Python and the packages that shape the results."""
    from alliancegov import __version__

    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        versions[name] = package_version(name)
    # Run from a source checkout (PYTHONPATH=src) the package has no metadata, but it runs.
    versions["alliancegov"] = versions["alliancegov"] or __version__
    not_installed = REPORT_TEXT[language]["not_installed"]
    return pd.DataFrame(
        {"package": list(versions), "version": [version or not_installed for version in versions.values()]}
    )


def git_commit() -> str:
    """The commit checked out in the current directory, or "unknown" outside a usable git repository."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else "unknown"


def report_environment() -> Environment:
    """The Jinja2 environment of the report templates, autoescaping everything."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def check_keys(kind: str, given: dict, allowed: tuple[str, ...]) -> None:
    """Raise on keys the report has no place for (a typo would silently drop a block)."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {kind} keys {unknown}; expected some of {list(allowed)}")


def render_report(
    *,
    language: str,
    title: str,
    figures: dict[str, Path],
    tables: dict[str, pd.DataFrame],
    sample_flow: pd.DataFrame,
    provenance: list[dict],
    config: dict,
    notes: list[str],
    generated_at: str,
    captions: dict[str, str] | None = None,
    codebook: Codebook | None = None,
    outcome: str = "governance_form",
) -> str:
    """The report as one HTML page in ``language`` ('fr' or 'en').

    Inputs: ``figures`` maps file stems (``form_by_sector``, ``construct_scores``,
    ``choice_coefficients``, ``performance_by_form``, ``sample_flow``) to PNG paths;
    ``tables`` maps ``reliability``, ``choice_mnl``, ``choice_fit``, ``performance_ols``,
    ``performance_fit``, ``form_by_sector`` to DataFrames; a missing key omits its block,
    an unknown key is an error. ``sample_flow`` has ``wave, step, reason, n``;
    ``provenance`` one dict per input file (see :func:`provenance_table`); ``config`` is
    the run configuration (secret-looking keys are redacted); ``notes`` are plain-text
    method notes; ``generated_at`` is printed as is and is the only run-dependent line.
    ``captions`` maps figure stems to their caption in ``language`` (plain text, see
    :func:`read_caption`); a figure without one gets none. With a ``codebook``, table cells and
    headers show its labels (:func:`label_cells`; ``outcome`` is the choice model's question).
    """
    if language not in REPORT_TEXT:
        raise ValueError(f"language must be one of {sorted(REPORT_TEXT)}, not {language!r}")
    check_keys("figure", figures, FIGURE_STEMS)
    check_keys("table", tables, TABLE_KEYS)
    template = report_environment().get_template(TEMPLATE_NAME)
    return template.render(
        language=language,
        title=title,
        text=REPORT_TEXT[language],
        figures={stem: png_data_uri(path) for stem, path in figures.items()},
        captions=captions or {},
        tables={key: table_html(translate_verdicts(label_cells(table, codebook, language, outcome)
                                                   if codebook else table, language), language)
                for key, table in tables.items()},
        sample_summary=REPORT_TEXT[language]["sample_summary"].format(**sample_counts(sample_flow)),
        sample_flow=table_html(sample_flow_table(sample_flow, language), language),
        provenance=table_html(provenance_table(provenance), language),
        config_yaml=config_yaml(config),
        software=table_html(software_versions(language), language),
        git_commit=git_commit(),
        notes=notes,
        generated_at=generated_at,
    )


def read_caption(path: str | Path) -> str:
    """A caption file (reStructuredText, shared with Snakemake's report) as one line of plain text:
    inline literals lose their backquotes, line breaks become spaces."""
    text = Path(path).read_text(encoding="utf-8")
    return " ".join(re.sub(r"``(.+?)``", r"\1", text).split())


def write_report(html: str, path: str | Path) -> Path:
    """Write ``html`` as UTF-8 with ``\\n`` line endings, creating parent folders; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8", newline="\n")
    return path


_NOTES_TEXT = {
    "fr": {
        "exclusions": ("Exclusions : chaque réponse exclue l'est pour la première règle enfreinte, "
                       "dans l'ordre {rules}."),
        "scales": ("Échelles : items inversés recodés (min + max − x) après passage des codes de non-réponse "
                   "en valeurs manquantes ; score = moyenne des items répondus si le minimum d'items est atteint ; "
                   "alpha de Cronbach sur les réponses complètes."),
        "choice": ("Choix de gouvernance : logit multinomial (statsmodels MNLogit, Newton), base « {base} » ; "
                   "erreurs types {cov_type}{cluster} ; {n:.0f} réponses utilisées, {missing:.0f} écartées "
                   "pour valeurs manquantes."),
        "cluster": " par grappe ({cluster}, {n_clusters:.0f} grappes ; facteur G/(G−1) comme Stata)",
        "not_converged": "ATTENTION : l'estimation du logit multinomial n'a pas convergé ; ne pas interpréter.",
        "performance": ("Performance : MCO de « {outcome} », erreurs types {cov_type}, intervalles de confiance "
                        "de Student ; {n:.0f} réponses utilisées, {missing:.0f} écartées pour valeurs manquantes."),
    },
    "en": {
        "exclusions": ("Exclusions: each excluded response is excluded for the first rule it breaks, "
                       "in the order {rules}."),
        "scales": ("Scales: reverse-coded items recoded as (min + max − x) after missing-value codes became "
                   "missing; score = mean of the answered items when the minimum number is answered; Cronbach's "
                   "alpha on complete responses."),
        "choice": ("Governance choice: multinomial logit (statsmodels MNLogit, Newton), base '{base}'; "
                   "{cov_type} standard errors{cluster}; {n:.0f} responses used, {missing:.0f} left out for "
                   "missing values."),
        "cluster": " clustered by {cluster} ({n_clusters:.0f} clusters; Stata's G/(G−1) factor)",
        "not_converged": "WARNING: the multinomial logit did not converge; do not interpret it.",
        "performance": ("Performance: OLS of '{outcome}', {cov_type} standard errors, Student-t confidence "
                        "intervals; {n:.0f} responses used, {missing:.0f} left out for missing values."),
    },
}


def methods_notes(config: dict, choice_fit: pd.DataFrame, performance_fit: pd.DataFrame, language: str) -> list[str]:
    """Plain-text method notes for the report, from the run configuration and the fit tables."""
    text = _NOTES_TEXT[language]
    choice = {**{"cov_type": "cluster", "cluster": "firm_key"}, **config["choice"]}
    choice_stats = pd.to_numeric(choice_fit.set_index("statistic")["value"], errors="coerce")
    performance = {**{"cov_type": "HC3"}, **config["performance"]}
    performance_stats = pd.to_numeric(performance_fit.set_index("statistic")["value"], errors="coerce")
    cluster = (text["cluster"].format(cluster=choice["cluster"], n_clusters=choice_stats["n_clusters"])
               if choice["cov_type"] == "cluster" else "")
    notes = [
        text["exclusions"].format(rules=", ".join(config["qc"]["exclusion_rules"])),
        text["scales"],
        text["choice"].format(base=choice["base"], cov_type=choice["cov_type"], cluster=cluster,
                              n=choice_stats["n_obs"], missing=choice_stats["n_missing"]),
        text["performance"].format(outcome=performance["outcome"], cov_type=performance["cov_type"],
                                   n=performance_stats["n"], missing=performance_stats["n_missing"]),
    ]
    if choice_stats["converged"] != 1:
        notes.append(text["not_converged"])
    return notes

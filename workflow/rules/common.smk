report: "../report/workflow.rst"


import hashlib
import math
import os
from pathlib import Path

import pandas as pd
import yaml
from snakemake.utils import validate

from alliancegov.choice.spec import ChoiceSpec
from alliancegov.code_hash import PACKAGE_DIR, code_hash
from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.vocabulary import CODEBOOK_FILES as CODEBOOK_NAMES
from alliancegov.config_strings import check_project_strings
from alliancegov.ingest.waves_sheet import frame_sizes, read_waves_sheet
from alliancegov.model_inputs import model_variables
from alliancegov.stages import Stages


validate(config, "../schemas/config.schema.yaml")

# Read strictly (tabs, cells per line, known columns, formats against the files' content) before the
# schema checks each cell: a shifted or space-separated line stops here naming its line.
WAVES = read_waves_sheet(config["waves"]).set_index("wave", drop=False)
validate(WAVES, "../schemas/waves.schema.yaml")
if WAVES["wave"].duplicated().any():
    raise ValueError(f"{config['waves']}: wave identifiers repeat: {sorted(WAVES['wave'][WAVES['wave'].duplicated()])}")

CODEBOOK_FILES = [f"{config['codebook']}/{name}" for name in CODEBOOK_NAMES]
CODEBOOK = Codebook.from_files(CODEBOOK_FILES)
REGISTER = {}   # no hypotheses section: no register, and the hypotheses stage is off
if config.get("hypotheses"):
    with open(config["hypotheses"], encoding="utf-8") as register_file:
        REGISTER = yaml.safe_load(register_file)
    # The register's keys and settings (multiplicity, verdict_p, rules, margins) against their schema.
    validate(REGISTER, "../schemas/hypotheses.schema.yaml")
# Every formula and expression of the config, the codebook and the register, through the project's one
# checked grammar before any job runs: a string that could run code, or a typo, stops here naming the
# file, the field, the token and its position.
check_project_strings(config, CODEBOOK, REGISTER,
                      config_file=workflow.configfiles[-1] if workflow.configfiles else "config",
                      register_file=config.get("hypotheses", "no register"), variables_file=CODEBOOK_FILES[0])
RULES_DIR = Path(workflow.current_basedir)  # report() captions are paths relative to this folder
SCRIPTS_DIR = RULES_DIR.parent / "scripts"


# The languages of the HTML reports and their figures (one job each); `language` is the main one.
LANGUAGES = config["report"]["languages"]


wildcard_constraints:
    wave="|".join(WAVES["wave"]),
    part=r"\d+",
    lang="|".join(("fr", "en")),


def script_code(script):
    """The hash of every package module the rule's script reaches through its imports
    (alliancegov.code_hash, read from the source when the DAG is built): as a param, it re-runs
    the rule exactly when one of those modules changes."""
    return code_hash(SCRIPTS_DIR / f"{script}.py")


def caption(name, language=None):
    """A report() caption path (relative to workflow/rules/) in `language` (default: the main one):
    French captions live in workflow/report/fr/, English ones in workflow/report/."""
    language = language or config["language"]
    localised = RULES_DIR.parent / "report" / language / f"{name}.rst"
    return f"../report/{language}/{name}.rst" if localised.exists() else f"../report/{name}.rst"


def caption_input(name, language=None):
    """The same caption as a path from the working directory, for a job that reads it."""
    return os.path.relpath(RULES_DIR / caption(name, language))


def wave_file(wildcards):
    return WAVES.loc[wildcards.wave, "file"]


def crosswalk_file(wildcards):
    """The wave's crosswalk to the codebook, if the waves sheet names one."""
    path = WAVES.loc[wildcards.wave, "crosswalk"]
    return [path] if path else []


WAVE_OPTIONS = ("sheet", "locale", "delimiter", "date_format")


def wave_options(wildcards):
    """What the ingest job reads of its wave's row beyond the format: the cells it declares (empty ones
    left out, so that adding an undeclared column to the sheet re-runs nothing)."""
    row = WAVES.loc[wildcards.wave]
    return {column: row[column] for column in WAVE_OPTIONS if row[column]}


# What the models need from every wave, traced from the config's formulas to codebook columns: the
# pool job stops when a wave lacks one, before any model is fitted.
MODEL_VARIABLES = model_variables(config, CODEBOOK)


CHOICE_TABLES = {
    "choice_mnl": "Multinomial logit coefficients and relative-risk ratios",
    "choice_ame": "Average marginal effects",
    "choice_predictions": "Predicted probabilities",
    "choice_tests": "Tests",
    "choice_fit": "Fit statistics",
    "choice_classification": "Classification table",
    "choice_small_sample": "Small-sample checks",
    "choice_firth": "Firth estimates",
    "choice_bootstrap": "Bootstrap intervals",
    "choice_ordered": "Ordered logit",
    "choice_ordered_ame": "Ordered logit: average marginal effects",
    "choice_ordered_brant": "Ordered logit: Brant test",
    "choice_ordered_fit": "Ordered logit: fit (ologit header)",
    "choice_equity": "Equity vs non-equity logit",
    "choice_equity_ame": "Equity vs non-equity logit: average marginal effects",
    "choice_cv": "Cross-validated predictive check",
    "choice_cv_confusion": "Cross-validated confusion matrix",
    "choice_variants": "Model variants side by side",
    "choice_nested": "Nested logit against the MNL (IIA)",
}


CHOICE_SPEC = ChoiceSpec.from_config(config["choice"])
# The stages the config turns on (alliancegov.stages): `all`, and every input that only some configs have.
STAGES = Stages.from_config(config, n_waves=len(WAVES), register=REGISTER)


TIME_TO_EVENT = REGISTER.get("time_to_event")   # the register's time-to-event block (None without one)
SCALES = list(STAGES.construct_scales)
LIKERT_SCALES = list(STAGES.likert_scales)
# drawn from the data alone (rule figures_descriptive), from the models (figures_models), from the waves
# (figures_waves): those of the stages turned on (alliancegov.stages.Stages.figures)
DESCRIPTIVE_FIGURES = STAGES.figures["figures_descriptive"]
MODEL_FIGURES = STAGES.figures["figures_models"]
WAVE_FIGURES = STAGES.figures["figures_waves"]
FIGURES = DESCRIPTIVE_FIGURES + MODEL_FIGURES + WAVE_FIGURES


def figure_outputs(names, category="6. Figures"):
    """Each figure in each report language (wildcard `lang`): PNG in Snakemake's report (captioned in the
    main language), and SVG and PDF for journals (not in the report)."""
    return {
        **{
            name: report(f"results/figures/{{lang}}/{name}.png", caption=caption(f"figure_{name}"),
                         category=category, subcategory="{lang}")
            for name in names
        },
        **{f"{name}_{fmt}": f"results/figures/{{lang}}/{name}.{fmt}" for name in names for fmt in ("svg", "pdf")},
    }


# Plain patterns for expand() (a rule's output under a storage plugin is a flagged object expand() refuses).
REPORT_HTML = "results/report/index.{lang}.html"
FIGURE_FILES = [f"results/figures/{lang}/{name}.{fmt}" for lang in LANGUAGES for name in FIGURES
                for fmt in ("png", "svg", "pdf")]
# The publication tables, in each report language: a paper in French and one in English from one run.
PUBLICATION_TABLE = "results/tables/publication/{lang}/{stem}.{suffix}"
PUBLICATION_FORMATS = ("tex", "md", "html", "docx")
PUBLICATION_STEMS = (*(["choice_models"] if STAGES.multinomial else []),
                     *(["performance_models"] if STAGES.performance else []), "descriptives",
                     *(["correlations"] if STAGES.measurement else []))
PUBLICATION_FILES = expand(PUBLICATION_TABLE, lang=LANGUAGES, stem=PUBLICATION_STEMS, suffix=PUBLICATION_FORMATS)


def per_language(pattern, names):
    """A figure rule's log or benchmark path: one per language (``_{lang}``) when the rule draws something,
    else without the wildcard (a rule with no output may not have one in its log)."""
    return pattern.replace("{lang}", "_{lang}" if names else "")


# the rules with a job per report language (wildcard lang): rule all asks for their files, not their outputs
LANGUAGE_RULES = {"figures_descriptive", "figures_models", "figures_waves", "report", "publication_tables"}


# What every figure job is told of the look: the journal's column width and one font size.
FIGURE_STYLE = {key: config["figures"][key] for key in ("width_cm", "font_size_pt")}
# The message catalogues (alliancegov/messages/*.yaml) are data the code hash does not see: the jobs whose
# words they give carry their hash too.
MESSAGES = hashlib.sha256(b"".join(path.read_bytes() for path in sorted((PACKAGE_DIR / "messages").glob("*.yaml"))
                                   )).hexdigest()[:16]


CHOICE_BOOTSTRAP = STAGES.bootstrap
BOOTSTRAP_PARTS = range(config["choice"].get("bootstrap_jobs", 2))
MISALIGNMENT_PARTS = range(config.get("misalignment", {}).get("bootstrap_jobs", 2))
# what the two-stage bootstrap reads of the config; its parts re-run when only these change
MISALIGNMENT_SETTINGS = {key: config.get(key, {}) for key in ("performance", "misalignment")}
# the tables of the misalignment rule (the two-stage bootstrap), by its output names; the performance rule writes the others
MISALIGNMENT_TABLES = ("misalignment", "misalignment_switching", "misalignment_counterfactual")   # rule misalignment's
MISALIGNMENT_OUTPUTS = {"table": "misalignment",   # and, with misalignment.switching, its two tables
                        **({"switching": "misalignment_switching", "counterfactual": "misalignment_counterfactual"}
                           if STAGES.switching else {})}


# Waves in survey order (by year, then as listed): pooled models, per-wave models and the panel.
WAVE_ORDER = list(WAVES.sort_values("year", kind="stable")["wave"])
PANEL_TABLES = {
    "panel_links": "Panel: firms linked between consecutive waves",
    "panel_transition_counts": "Panel: transitions of governance form (counts and row shares)",
    "panel_transitions": "Panel: Markov transition probabilities",
    "panel_deepening": "Panel: do relationships deepen?",
    "panel_homogeneity": "Panel: same transition matrix between every pair of waves?",
}


PERFORMANCE_TABLES = {
    "performance_ols": "Performance by governance form (OLS)",
    "performance_fit": "Fit of the main performance model",
    "performance_ordered": "Ordinal outcomes (ordered logit)",
    "performance_ordered_ame": "Ordinal outcomes: average marginal effects",
    "performance_contrasts": "Pairwise contrasts between forms (Holm)",
    "misalignment": "Misalignment and performance: the misfit (primary) and the 0/1 mismatch (secondary)",
    "misalignment_switching": "Switching regressions: one performance equation per form, with selection terms",
    "misalignment_counterfactual": "Counterfactual performance under each form and the performance forgone",
    "misalignment_first_stage": "First stage: strength of the excluded variables and accuracy",
    "form_effects": "Effects of the form under selection on observables (IPW, AIPW)",
    "form_overlap": "Overlap: each form's propensity among the firms of each form",
    "importance": "Relative importance (Shapley R² decomposition)",
    "performance_by_form": "Mean performance by governance form",
}


def run_tables():
    """Every CSV table the stages write under results/tables/: the report shows each one (its registry,
    alliancegov/report/registry.yaml, refuses a table it has no place for)."""
    # the stages the config turns on (alliancegov.stages): their tables, and only theirs
    stages = [rules.constructs, *(getattr(rules, name) for name in STAGES.rules if name not in LANGUAGE_RULES)]
    return sorted({str(path) for stage in stages for path in stage.output
                   if str(path).startswith("results/tables/") and str(path).endswith(".csv")})


# The simulator's record beside the raw waves (data/raw/simulated.json): the reports then say the data
# are simulated, with the seed (as they do when report.simulated_data is set).
SIMULATION_RECORDS = sorted({str(Path(path).parent / "simulated.json") for path in WAVES["file"]
                             if (Path(path).parent / "simulated.json").exists()})


# The memory a job asks for (resources: mem_mb), from peaks measured by the benchmark: bench/memory_fit.py fits
# peak ≈ base + slope × MiB of input per rule to the max_rss of every job of bench/pipeline_scale.py's runs
# (workflow/memory.tsv says which; every job's measurement is in bench/memory.tsv). The headroom covers
# what the fit misses between runs and the larger sizes it is extrapolated to.
MEMORY = pd.read_csv(RULES_DIR.parent / "memory.tsv", sep="\t", comment="#").set_index("rule")
MEMORY_HEADROOM = 1.5


def measured_mem_mb(rule):
    """A resource function giving a job of `rule` its fitted peak for its inputs' size, with MEMORY_HEADROOM,
    rounded up to 100 MB (a job's input size is known once the jobs before it have run)."""
    base, per_input_mb = MEMORY.loc[rule, ["base_mib", "mib_per_input_mib"]]

    def mem_mb(wildcards, input):
        return 100 * math.ceil(MEMORY_HEADROOM * (base + per_input_mb * input.size_mb) / 100)

    return mem_mb

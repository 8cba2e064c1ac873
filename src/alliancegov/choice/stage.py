"""The choice stage: every table of the governance-form model (rule ``choice``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from alliancegov.choice.bootstrap import bootstrap_table
from alliancegov.choice.design import ChoiceDesign, build_design
from alliancegov.choice.diagnostics import (
    SMALL_EVENTS_PER_PARAMETER,
    classification,
    fit_table,
    test_table,
)
from alliancegov.choice.model import (
    ChoiceFit,
    ame_table,
    coefficient_table,
    prediction_table,
)
from alliancegov.choice.nested import nested_table
from alliancegov.choice.notes import inference_note, standard_errors
from alliancegov.choice.ordered import ordered_tables
from alliancegov.choice.separation import ALBERT_ANDERSON, FIRTH_ERRORS, fit_choice, separation
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.choice.variants import (
    binary_table,
    cross_validation_tables,
    imputed_tables,
    variants_table,
)
from alliancegov.model_checks import listing


@dataclass
class ChoiceResults:
    """Every table of the choice stage, keyed as the output files are named.

    Attributes
    ----------
    tables : dict of str to DataFrame
        The tables, keyed as the output files are named (``choice_mnl``, ``choice_ame``, ...).
    warnings : list of str
        Notes every reader of the tables needs (separation, convergence, few events, imputation,
        a bootstrap not run).
    fit : ChoiceFit or None
        The fit every table rests on (Firth's when the data are separated); None without the
        multinomial logit (``multinomial: false``).
    design : ChoiceDesign
        Its design.
    """

    tables: dict[str, pd.DataFrame]
    warnings: list[str]
    fit: ChoiceFit | None
    design: ChoiceDesign


def analyse_choice(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str], n_jobs: int = 1,
                   bootstrap: bool = True) -> ChoiceResults:
    """Fit the MNL and compute every table: coefficients, AMEs, predictions, tests, fit, small-sample checks.

    When the data are separated every table rests on Firth's penalised estimates, and
    ``choice_mnl`` says so in its ``estimator`` column (``firth`` rather than ``ml``).

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    spec : ChoiceSpec
        What to fit, and which optional tables to add.
    categories : list of str
        The outcome's categories in the codebook's order (market → hierarchy).
    n_jobs : int, default=1
        Worker processes of the bootstrap refits.
    bootstrap : bool, default=True
        ``bootstrap=False`` leaves the bootstrap out, for a workflow that scatters it over jobs
        (:func:`~alliancegov.choice.bootstrap.bootstrap_part`,
        :func:`~alliancegov.choice.bootstrap.bootstrap_table_from_parts`).

    Returns
    -------
    ChoiceResults
        The tables named in :attr:`ChoiceSpec.tables` (``choice_bootstrap`` too when asked for and
        there is no survey design), the notes, the fit and the design.

    Raises
    ------
    ModelSpecificationError
        A ``ValueError`` naming the variable (and wave) when the data cannot identify the model
        (:func:`~alliancegov.choice.design.build_design`), or naming the columns that separate the
        data when they are separated and ``spec.firth`` is ``never``.
    ValueError
        If the outcome holds a value not in ``categories``.
    """
    design = build_design(data, spec, categories)
    if not spec.multinomial:
        return ChoiceResults(*companion_tables(data, design, spec, categories, {}, []), None, design)
    notes = []
    fitted = fit_choice(design, spec)
    fit, firth, separated, small = fitted.fit, fitted.firth, fitted.separated, fitted.small
    if separated:
        # Every table then rests on Firth's estimates; choice_mnl.csv says so in its estimator column.
        notes.append(f"Separation: {separation(small, spec)}, so the maximum-likelihood estimates do not exist "
                     f"({ALBERT_ANDERSON}); every choice table uses Firth's penalised estimates instead.")
    few = list(small.loc[small["few_events"], "outcome"])
    if few:
        notes.append(f"Few events: the equation{'s' if len(few) > 1 else ''} of {spec.outcome} {listing(few)} "
                     f"{'have' if len(few) > 1 else 'has'} fewer than {SMALL_EVENTS_PER_PARAMETER} events per "
                     "parameter (Peduzzi et al. 1996), so the estimates may be biased and their intervals too narrow.")
    if not fit.converged:
        notes.append("The multinomial logit did not converge: its estimates are not maximum-likelihood estimates.")
    errors = FIRTH_ERRORS if separated else standard_errors(spec, design)
    note = f"{errors}; z statistics, normal p-values and {spec.level:.0%} Wald intervals" if separated \
        else inference_note(spec, design, fit.df_resid)
    tables = {
        "choice_mnl": coefficient_table(fit, design, spec).assign(estimator="firth" if separated else "ml", note=note),
        "choice_ame": ame_table(fit, design, spec).assign(note=note + "; delta-method standard errors"),
        "choice_tests": test_table(fit, design, spec),
        "choice_fit": fit_table(fit, design, spec),
        "choice_classification": classification(fit, design),
        "choice_small_sample": small,
        "choice_firth": coefficient_table(firth, design, spec).assign(
            note=f"{FIRTH_ERRORS}; z statistics, normal p-values and {spec.level:.0%} Wald intervals")
        if firth is not None
        else pd.DataFrame(columns=["outcome", "base", "term", "estimate", "std_error", "statistic", "p_value",
                                   "conf_low", "conf_high", "rrr", "rrr_conf_low", "rrr_conf_high", "note"]),
    }
    if spec.profiles:
        tables["choice_predictions"] = prediction_table(fit, design, spec).assign(
            note=f"{errors}; delta-method Wald intervals on the probability scale")
    if spec.bootstrap_replicates > 0 and design.survey is None:
        if bootstrap:
            tables["choice_bootstrap"] = bootstrap_table(design, spec, n_jobs=n_jobs)
    elif spec.bootstrap_replicates > 0:
        notes.append("bootstrap not run: resampling a complex survey design needs replicate weights")
    tables, notes = companion_tables(data, design, spec, categories, tables, notes)
    if spec.cv_folds >= 2:
        tables |= cross_validation_tables(design, spec, start=fit.params)
    if spec.variants:
        tables["choice_variants"] = variants_table(data, spec, categories)
    if spec.nested_logit and spec.nests:
        tables["choice_nested"] = nested_table(design, spec)
    if spec.imputations > 0:
        tables |= imputed_tables(data, spec, categories)
        notes.append(f"Missing data: coefficients and AMEs pool {spec.imputations} chained-equation imputations "
                     "by Rubin's rules; the other choice tables use the complete cases.")
    return ChoiceResults(tables, notes, fit, design)


def companion_tables(data: pd.DataFrame, design: ChoiceDesign, spec: ChoiceSpec, categories: list[str],
                     tables: dict[str, pd.DataFrame], notes: list[str]) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The ordered and binary logits of the choice stage, with or without the multinomial logit.

    Parameters
    ----------
    data : DataFrame
        The analysis frame (the binary outcome is computed from it).
    design : ChoiceDesign
        The choice outcome's design (rows, regressors, weights, clusters or survey design).
    spec : ChoiceSpec
        ``ordered`` and ``binary_outcome`` say which to fit.
    categories : list of str
        The outcome's categories in the codebook's order (the ordered logit's scale).
    tables : dict of str to DataFrame
        The tables so far; the companions' are added.
    notes : list of str
        The notes so far; a note is added when the ordered logit did not converge.

    Returns
    -------
    tables : dict of str to DataFrame
    notes : list of str
    """
    if spec.ordered:
        ordered, converged = ordered_tables(design, categories, spec)
        tables |= ordered
        if not converged:
            notes.append(f"The ordered logit of {spec.outcome} did not converge, most likely because the regressors "
                         "predict its top or bottom category perfectly (separation): choice_ordered*.csv do not hold "
                         "maximum-likelihood estimates.")
    if spec.binary_outcome:
        tables |= binary_table(data, spec)
    return tables, notes


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str], spec: dict, missing_data: dict,
        threads: int = 1) -> ChoiceResults:
    """The choice rule: every table of the governance-form model but the bootstrap, which is
    scattered over jobs of its own (:mod:`alliancegov.choice.bootstrap`).

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    codebook : sequence of str
        The codebook's three files (the outcome's answers in order, market → hierarchy).
    outputs : dict of str to str
        A CSV path per table (keys as :attr:`ChoiceResults.tables`) and ``warnings``, a text file
        of the notes every reader of the tables needs (separation, convergence, few events).
    spec, missing_data : dict
        The config's ``choice`` and ``missing_data`` sections.
    threads : int
        Worker processes of the refits.

    Returns
    -------
    ChoiceResults
        The tables and notes written.
    """
    import logging

    from alliancegov.codebook.tables import Codebook
    from alliancegov.frame_columns import named_in, read_frame
    from alliancegov.safe_output import visible_text, write_csv

    log = logging.getLogger("alliancegov")
    choice = ChoiceSpec.from_config(spec, missing_data)
    categories = Codebook.from_files(codebook).answer_names(choice.outcome)
    frame = read_frame(data, named_in(spec, missing_data))   # the columns the models name
    results = analyse_choice(frame, choice, categories, n_jobs=threads, bootstrap=False)
    for name, table in results.tables.items():
        write_csv(table, outputs[name])
    with open(outputs["warnings"], "w", encoding="utf-8") as handle:
        handle.writelines(f"{visible_text(warning)}\n" for warning in results.warnings)
    for warning in results.warnings:
        log.warning(warning)
    for name in ("choice_mnl", "choice_ordered", "choice_equity"):
        if name in results.tables:
            log.info("%s\n%s", name, results.tables[name].to_string(index=False))
    return results

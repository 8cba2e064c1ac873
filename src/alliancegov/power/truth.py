"""The simulator set at the pipeline's current estimates (rule ``power_truth``): the choice
coefficients as estimated, the misalignment penalty calibrated so that the pipeline's estimator
recovers the estimated misfit coefficient.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.power.replicates import analysis_frame, simulate_population
from alliancegov.power.settings import MISFIT_WHERE, PowerSettings


def _truth_key(term: str) -> str:
    """A tidy-table term as the truth file names it: ``sector[textile]`` → ``sector_textile``."""
    return term.replace("[", "_").removesuffix("]")


def truth_at_estimates(truth: dict, choice_mnl: pd.DataFrame, misalignment: pd.DataFrame, *,
                       penalty: float | None = None) -> dict:
    """A copy of the simulator's ``truth`` with the choice coefficients set to the estimates.

    Parameters
    ----------
    truth : dict
        The simulator's true parameters (:func:`alliancegov.simulate.truth.load_truth`); not
        modified.
    choice_mnl : DataFrame
        ``results/tables/choice_mnl.csv`` (``outcome, base, term, estimate, ...``), one row per
        non-base form and term, terms as the tidy tables write them (``sector[textile]`` is the
        truth's ``sector_textile``); rows with ``outcome`` ``(fit)`` are ignored. Every truth
        coefficient must have exactly one estimate and every estimate a truth coefficient (a model
        with other regressors cannot drive this simulator).
    misalignment : DataFrame
        ``results/tables/misalignment.csv``; its ``misfit`` model's ``misfit`` coefficient
        (composite-index units) becomes the performance ``misalignment_penalty`` unless
        ``penalty`` is given.
    penalty : float, optional
        Keyword-only: the latent ``misalignment_penalty`` (latent units, e.g. from
        :func:`calibrate_penalty`).

    Returns
    -------
    dict
        The copy, with the choice coefficients (log-odds against the base) as estimated and the
        penalty set; it records what was set under ``at_estimates`` (``misfit_coefficient``,
        ``misalignment_penalty``, ``penalty``: ``as estimated`` or ``calibrated``).

    Raises
    ------
    ValueError
        Naming the terms, if ``choice_mnl``'s terms and the truth's coefficients do not match one to
        one (or a term repeats); if its base is not the simulator's; or if ``misalignment`` has no
        single ``misfit`` row.
    """
    out = copy.deepcopy(truth)
    base = truth["choice"]["base"]
    coefficients = truth["choice"]["coefficients"]
    table = choice_mnl[choice_mnl["outcome"].astype(str) != "(fit)"]
    if "base" in table and set(table["base"].astype(str)) != {base}:
        raise ValueError(f"choice_mnl has base {sorted(set(table['base'].astype(str)))}, the simulator {base!r}")
    keys = table["term"].astype(str).map(_truth_key)
    estimates = pd.Series(table["estimate"].to_numpy(float), index=pd.MultiIndex.from_arrays(
        [table["outcome"].astype(str).to_numpy(), keys.to_numpy()]))
    if estimates.index.duplicated().any():
        raise ValueError(f"choice_mnl repeats terms: {sorted(set(estimates.index[estimates.index.duplicated()]))}")
    wanted = {(form, term) for form, terms in coefficients.items() for term in terms}
    unknown = sorted(set(estimates.index) - wanted)
    missing = sorted(wanted - set(estimates.index))
    if unknown or missing:
        raise ValueError("choice_mnl does not match the simulator's choice model: "
                         f"unknown (outcome, term) {unknown}; missing {missing}")
    for form, term in wanted:
        out["choice"]["coefficients"][form][term] = float(estimates[(form, term)])
    rows = misalignment[(misalignment["model"].astype(str) == MISFIT_WHERE["model"])
                        & (misalignment["term"].astype(str) == MISFIT_WHERE["term"])]
    if len(rows) != 1:
        raise ValueError(f"misalignment has {len(rows)} rows with {MISFIT_WHERE}; one is needed")
    misfit = float(rows["estimate"].iloc[0])
    out["performance"]["misalignment_penalty"] = misfit if penalty is None else float(penalty)
    out["at_estimates"] = {"misfit_coefficient": misfit,
                           "misalignment_penalty": out["performance"]["misalignment_penalty"],
                           "penalty": "as estimated" if penalty is None else "calibrated"}
    return out


def misfit_coefficient(truth: dict, settings: PowerSettings, codebook: Codebook, firms: int, seed: int) -> float:
    """The misfit coefficient the pipeline estimates on one simulated sample of ``firms`` firms
    (point estimate of the ``misfit`` model, composite-index units).

    Parameters
    ----------
    truth : dict
        The simulator's true parameters.
    settings : PowerSettings
        The pipeline's choice, performance and misalignment settings.
    codebook : Codebook
        The scales and answers.
    firms : int
        Firms simulated.
    seed : int
        Seed of the simulation.

    Returns
    -------
    float
        The point estimate (no bootstrap), in composite-index units per unit of misfit.
    """
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.misalignment.two_stage import TwoStageData

    frame = analysis_frame(simulate_population(truth, codebook, firms, seed), codebook, settings.performance)
    spec = replace(settings.misalignment, selection=())   # the misfit model does not use them
    data, _ = TwoStageData.build(frame, DesignBuilder(settings.choice, settings.categories), spec,
                                 np.arange(len(settings.categories)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(data.estimates()["misfit"]["misfit"])


def calibrate_penalty(truth: dict, target: float, settings: PowerSettings, codebook: Codebook, *,
                      firms: int = 100_000, seed: int = 20261127, tolerance: float = 0.005,
                      max_iterations: int = 8) -> tuple[dict, pd.DataFrame]:
    """``truth`` with the latent ``misalignment_penalty`` at which the pipeline's misfit coefficient,
    estimated on ``firms`` simulated firms, equals ``target`` (composite-index units).

    The coefficient is nearly proportional to the penalty (about 0.8 × at the simulator's truth;
    zero without a penalty), so the penalty is rescaled by target / coefficient until they agree
    within ``tolerance`` × |target|. Every evaluation uses the same seed (common random numbers),
    so the map is smooth and the iteration converges in a few steps; the calibration's own
    sampling error is about the pipeline's SE × sqrt(n_pipeline / firms).

    Parameters
    ----------
    truth : dict
        The simulator's true parameters (not modified).
    target : float
        The misfit coefficient to reach (composite-index units), usually the pipeline's estimate.
    settings : PowerSettings
        The pipeline's model settings.
    codebook : Codebook
        The scales and answers.
    firms : int, default=100_000
        Keyword-only: simulated firms per evaluation.
    seed : int, default=20261127
        Keyword-only: the seed every evaluation uses.
    tolerance : float, default=0.005
        Keyword-only: relative tolerance, as a share of |target|.
    max_iterations : int, default=8
        Keyword-only: evaluations at most.

    Returns
    -------
    truth : dict
        The calibrated truth, with ``misalignment_penalty``, ``penalty`` (``calibrated``),
        ``calibration_firms`` and ``calibration_coefficient`` recorded under ``at_estimates``.
    iterations : DataFrame
        One row per evaluation: ``iteration, penalty, coefficient, target``.

    Raises
    ------
    ValueError
        If the coefficient does not follow the penalty's sign.

    Warns
    -----
    RuntimeWarning
        If the calibration stopped after ``max_iterations`` without reaching the tolerance.
    """
    out = copy.deepcopy(truth)
    penalty = float(target)
    history = []
    for iteration in range(max_iterations):
        out["performance"]["misalignment_penalty"] = penalty
        coefficient = misfit_coefficient(out, settings, codebook, firms, seed) if penalty != 0 else 0.0
        history.append({"iteration": iteration, "penalty": penalty, "coefficient": coefficient, "target": target})
        if abs(coefficient - target) <= tolerance * abs(target):
            break
        if coefficient * penalty <= 0:
            raise ValueError(f"the misfit coefficient ({coefficient:.4g}) does not follow the penalty ({penalty:.4g})")
        penalty *= target / coefficient
    else:
        warnings.warn(f"penalty calibration stopped after {max_iterations} iterations", RuntimeWarning, stacklevel=2)
    out.setdefault("at_estimates", {}).update({"misalignment_penalty": penalty, "penalty": "calibrated",
                                               "calibration_firms": firms, "calibration_coefficient": coefficient})
    return out, pd.DataFrame(history)


def run(*, choice_mnl: str, misalignment: str, register: str, codebook: Sequence[str], outputs: dict[str, str],
        settings: dict) -> dict:
    """The power_truth rule: the simulator's truth set at the current estimates, the misalignment
    penalty calibrated.

    Parameters
    ----------
    choice_mnl, misalignment : str
        The pipeline's choice and misalignment tables (CSV).
    register : str
        The hypotheses register (YAML).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``truth`` (YAML) and ``calibration`` (CSV of the calibration's iterations).
    settings : dict
        The config's ``power``, ``choice``, ``performance`` and ``misalignment`` sections.

    Returns
    -------
    dict
        The truth written.
    """
    import logging
    from pathlib import Path

    import yaml

    from alliancegov.power.settings import load_settings
    from alliancegov.safe_output import write_csv
    from alliancegov.simulate.truth import load_truth

    power = load_settings(settings, register, codebook)
    truth = truth_at_estimates(load_truth(), pd.read_csv(choice_mnl), pd.read_csv(misalignment))
    firms = settings["power"]["calibration_firms"]
    truth, calibration = calibrate_penalty(truth, truth["at_estimates"]["misfit_coefficient"], power,
                                           Codebook.from_files(codebook), firms=firms, seed=power.seed)
    Path(outputs["truth"]).write_text(yaml.safe_dump(truth, sort_keys=False, allow_unicode=True), encoding="utf-8")
    write_csv(calibration, outputs["calibration"])
    logging.getLogger("alliancegov").info("misalignment penalty calibrated on %d firms:\n%s", firms,
                                          calibration.to_string(index=False))
    return truth

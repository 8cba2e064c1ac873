"""Power planning: how many firms the next wave needs to detect the H1 and H7 effects.

The project's own simulator (:mod:`alliancegov.simulate`) is set at the pipeline's current
estimates (:func:`truth_at_estimates`, :func:`calibrate_penalty`); survey samples of ``n`` firms
are drawn from it and put through the pipeline's own scoring and estimators; a check counts as
*detected* in a replicate when the pipeline's verdict rule (:func:`alliancegov.hypotheses.
check_verdict`) calls it ``supported``: significant at ``alpha`` in the expected direction.
Power is the share of replicates where it is detected (:func:`power_table`).

What each replicate computes, per effect (the checks of ``config/hypotheses.yaml`` that read
these tables):

* **H1**, ``choice_ame`` checks: the average marginal effects of the multinomial logit of the
  form, with the pipeline's estimator and standard errors (:mod:`alliancegov.choice`: Newton ML,
  or Firth's penalised fit when the sample is separated, as ``firth: auto`` does; the configured
  ``cov_type``, cluster-robust by firm here; delta-method SEs; z test). This is exactly the
  pipeline's test.
* **H7**, ``misalignment`` check ``model=misfit, term=misfit``: the misfit coefficient of the
  two-stage performance regression (:func:`alliancegov.performance.misalignment_table`), tested
  as the pipeline tests it, with the percentile p-value of a bootstrap that refits both stages,
  but with ``bootstrap_replicates`` resamples (default 99) instead of the pipeline's 200. Measured
  on this machine (one BLAS thread): a replicate costs 0.6–1.4 s of CPU, most of it the 99
  two-stage refits (separated resamples at 50 firms are the slowest), against 0.05–0.3 s for the
  H1 fit, AMEs and separation check; B = 200 would about double ``make power`` (25 min of CPU
  with the default config) for a small gain. Consequence: the p-value moves in steps of 2/B and
  the finite-B test loses a little power against the B → ∞ test the pipeline approximates (a
  loss of order 1/B, Jöckel 1986; Davidson & MacKinnon 2000), so the H7 curve is slightly
  *conservative*. An analytic
  (plug-in) SE was not used: the second-stage OLS SE ignores the first stage's estimation error
  and would overstate power, and the small samples where power matters are where a Wald test is
  least like the pipeline's percentile test. In small samples many resamples fail (separated
  first stages; about half of them at 50 firms); the pipeline then tests on the successful ones,
  and so does this study: the share failed is reported (``share_bootstrap_failed``), and a
  replicate whose own first stage cannot be fitted counts as not detected (``failed``).

Units of the H7 effect: the simulator's ``misalignment_penalty`` acts on a *latent* performance
index, while the pipeline's misfit coefficient is estimated on the composite index of
``performance.index`` (a mean of z-scores of noisy, rounded, partly ordinal indicators), so the
estimated coefficient is not the penalty: at the simulator's truth (−1.0) it is about −0.82. The
penalty is therefore *calibrated* (:func:`calibrate_penalty`) so that the misfit coefficient the
pipeline would estimate on a very large simulated sample equals the current estimate. The other
performance parameters (form effects, trust effect, noise) stay at the simulator's truth.

Samples are nested: replicate ``r`` simulates one population of ``population`` firms (the
largest sample size) from its own seed, and a sample of ``n`` firms is its first ``n`` firms
(firms are drawn independently, so that is a simple random sample). The same replicate thus
shares data across sample sizes (common random numbers), which makes differences between
sample sizes much less noisy without changing any single point's sampling distribution.

Everything is deterministic given ``seed``.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from alliancegov.codebook import Codebook

SUPPORTED_TABLES = ("choice_ame", "misalignment")
MISFIT_WHERE = {"model": "misfit", "term": "misfit"}
REPLICATE_COLUMNS = ["n", "replicate", "hypothesis", "check", "table", "model", "outcome", "term", "expected",
                     "estimate", "std_error", "p_value", "detected", "estimator", "share_bootstrap_failed", "note"]
ALL_CHECKS = "all"


# ---- effects: the register's checks this study can simulate ---------------------------------------

@dataclass(frozen=True)
class Effect:
    """One check of the hypotheses register: a row of a model table and its expected sign."""

    hypothesis: str
    table: str
    where: tuple[tuple[str, str], ...]
    expected: str

    @property
    def check(self) -> str:
        """The check as ``hypotheses.csv`` names it (``choice_ame: outcome=..., term=...``)."""
        return f"{self.table}: " + ", ".join(f"{k}={v}" for k, v in self.where)

    def get(self, key: str) -> str:
        return dict(self.where).get(key, "")


def register_effects(register: dict, hypotheses: list[str] | tuple[str, ...]) -> tuple[Effect, ...]:
    """The checks of ``hypotheses`` (ids) the power study simulates, in register order.

    Kept: every ``choice_ame`` check, and the ``misalignment`` check on the continuous misfit
    (``model=misfit, term=misfit``: the effect the simulator plants). Left out, because the
    simulator is not set at an estimate for them: tests on the analysis frame (means,
    proportions), the Shapley comparison, and the 0/1 misalignment models. Raises ``ValueError``
    for an unknown id or an id with no simulable check.
    """
    by_id = {h["id"]: h for h in register["hypotheses"]}
    effects = []
    for hypothesis in hypotheses:
        if hypothesis not in by_id:
            raise ValueError(f"hypothesis {hypothesis!r} is not in the register ({sorted(by_id)})")
        kept = []
        for check in by_id[hypothesis]["checks"]:
            where = {str(k): str(v) for k, v in check.get("where", {}).items()}
            if check.get("test", "coefficient") != "coefficient" or check.get("table") not in SUPPORTED_TABLES:
                continue
            if check["table"] == "misalignment" and where != MISFIT_WHERE:
                continue
            kept.append(Effect(hypothesis, check["table"], tuple(where.items()), check["expected"]))
        if not kept:
            raise ValueError(f"{hypothesis} has no check the power study can simulate "
                             f"(a choice_ame check, or misalignment with {MISFIT_WHERE})")
        effects += kept
    return tuple(effects)


@dataclass(frozen=True)
class PowerSettings:
    """Everything a replicate needs besides the truth: the pipeline's model settings and the study's.

    ``choice``: the choice model (listwise: simulated samples have no missing answers);
    ``categories``: the outcome's answers in codebook order (market → hierarchy); ``performance``:
    the config's ``performance`` section (derived variables, composite index, cluster);
    ``misalignment``: the two-stage model, with ``bootstrap_replicates`` already set to the
    study's B; ``population``: firms simulated per replicate (None: exactly ``n``).
    """

    choice: object                 # alliancegov.choice.ChoiceSpec
    categories: tuple[str, ...]
    performance: dict
    misalignment: object           # alliancegov.performance.MisalignmentSpec
    effects: tuple[Effect, ...]
    alpha: float = 0.05
    population: int | None = None
    seed: int = 20261127
    pipeline_bootstrap_replicates: int | None = None   # the B of the pipeline's own H7 test

    @classmethod
    def from_config(cls, config: dict, register: dict, codebook: Codebook) -> PowerSettings:
        """From the pipeline's config (its ``power`` block and model sections) and the register."""
        from alliancegov.choice.spec import ChoiceSpec
        from alliancegov.misalignment import MisalignmentSpec

        power = config.get("power") or {}
        choice = ChoiceSpec.from_config(config["choice"])   # no imputation: simulated data are complete
        misalignment = MisalignmentSpec.from_config(config["misalignment"])
        pipeline_b = misalignment.bootstrap_replicates
        misalignment = replace(misalignment, bootstrap_replicates=int(power.get("bootstrap_replicates", 99)))
        sizes = power.get("sample_sizes", [])
        return cls(
            choice=choice,
            categories=tuple(codebook.answer_names(choice.outcome)),
            performance=config["performance"],
            misalignment=misalignment,
            effects=register_effects(register, power.get("hypotheses", ["H1", "H7"])),
            alpha=float(power.get("alpha", register.get("alpha", 0.05))),
            population=max(sizes) if sizes else None,
            seed=int(power.get("seed", 20261127)),
            pipeline_bootstrap_replicates=pipeline_b,
        )

    @property
    def needs_two_stage(self) -> bool:
        return any(e.table == "misalignment" for e in self.effects)

    def note(self, truth: dict | None = None) -> dict[str, str]:
        """What each table's test is, by source table, for the output table; with the truth the
        replicates used (:func:`truth_at_estimates`), the misfit effect it was set at."""
        misalignment = (f"two-stage percentile bootstrap with B={self.misalignment.bootstrap_replicates} per "
                        f"replicate (the pipeline: B={self.pipeline_bootstrap_replicates}), so power is slightly "
                        "conservative")
        setting = (truth or {}).get("at_estimates", {})
        if "misfit_coefficient" in setting:
            misalignment += (f"; simulated at the estimated misfit coefficient {setting['misfit_coefficient']:.4g} "
                             f"(latent penalty {setting['misalignment_penalty']:.4g}, {setting['penalty']})")
        return {
            "choice_ame": f"AME, {self.choice.cov_type} SE (delta method), z test at alpha={self.alpha:g}; "
                          "the pipeline's test",
            "misalignment": misalignment,
            ALL_CHECKS: "every simulated check of the hypothesis detected in the same replicate",
        }


# ---- the truth at the current estimates ------------------------------------------------------------

def _truth_key(term: str) -> str:
    """A tidy-table term as the truth file names it: ``sector[textile]`` → ``sector_textile``."""
    return term.replace("[", "_").removesuffix("]")


def truth_at_estimates(truth: dict, choice_mnl: pd.DataFrame, misalignment: pd.DataFrame, *,
                       penalty: float | None = None) -> dict:
    """A copy of the simulator's ``truth`` with the choice coefficients set to the estimates.

    ``choice_mnl``: ``results/tables/choice_mnl.csv`` (``outcome, base, term, estimate, ...``),
    one row per non-base form and term, terms as the tidy tables write them (``sector[textile]``
    is the truth's ``sector_textile``). Every truth coefficient must have exactly one estimate and
    every estimate a truth coefficient (a model with other regressors cannot drive this simulator):
    else ``ValueError`` naming the terms. ``misalignment``: ``results/tables/misalignment.csv``;
    its ``misfit`` model's ``misfit`` coefficient (composite-index units) becomes the performance
    ``misalignment_penalty`` unless ``penalty`` (latent units, e.g. from
    :func:`calibrate_penalty`) is given. The copy records what was set under ``at_estimates``.
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
    (point estimate of the ``misfit`` model, composite-index units)."""
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.misalignment import TwoStageData

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
    sampling error is about the pipeline's SE × sqrt(n_pipeline / firms). Returns the calibrated
    truth and the iterations (``iteration, penalty, coefficient, target``). ``ValueError`` if the
    coefficient does not follow the penalty's sign.
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


# ---- one replicate ----------------------------------------------------------------------------------

def simulate_population(truth: dict, codebook: Codebook, firms: int, seed: int) -> pd.DataFrame:
    """One clean simulated wave of ``firms`` firms (canonical answers, truth columns ``true_``)."""
    from alliancegov.simulate import simulate_waves

    return simulate_waves(firms, [2024], seed=seed, truth=truth, codebook=codebook)[0]


def analysis_frame(wave: pd.DataFrame, codebook: Codebook, performance: dict) -> pd.DataFrame:
    """A simulated wave as the pipeline's models see it: scored as the constructs stage scores
    (the simulator's own scale scores dropped first, so no column is doubled), with the derived
    performance variables and the composite index of the performance stage, and a firm key (the
    registry number).

    The columns are those of :func:`alliancegov.constructs.build_analysis` (a test holds them
    equal), built from the same functions but without its reliability table, whose omega fits
    took 1.2 of the 3.1 s of a replicate of 200 firms when measured.
    """
    from alliancegov.constructs import answer_codes, choice_indicators, reverse_code, score_scales
    from alliancegov.performance import composite_index, derive_variables

    # The simulator writes every scale's score; the pipeline's are recomputed from the items.
    recoded = reverse_code(wave.drop(columns=[s for s in codebook.scales["scale"] if s in wave]), codebook)
    analysis = pd.concat([recoded, score_scales(recoded, codebook), choice_indicators(recoded, codebook),
                          answer_codes(recoded, codebook)], axis=1)
    frame = derive_variables(analysis.assign(firm_key=analysis["registry_number"]), performance.get("derived", {}))
    index = performance.get("index")
    if index:
        frame[index["name"]] = composite_index(frame, index["components"], index["min_components"])
    return frame


def choice_ame(frame: pd.DataFrame, settings: PowerSettings) -> tuple[pd.DataFrame, str]:
    """The pipeline's AME table for ``frame`` and the estimator used (``ml`` or ``firth``), as
    :func:`alliancegov.choice.analyse_choice` computes them (Firth when separated)."""
    from alliancegov.choice.design import build_design
    from alliancegov.choice.model import ame_table, fit_firth, fit_mnl, model_separated

    design = build_design(frame, settings.choice, list(settings.categories))
    if model_separated(design):
        if settings.choice.firth == "never":
            raise ValueError("separated sample and choice.firth is 'never'")
        return ame_table(fit_firth(design), design, settings.choice), "firth"
    return ame_table(fit_mnl(design, settings.choice), design, settings.choice), "ml"


def two_stage_table(frame: pd.DataFrame, settings: PowerSettings, seed: int) -> pd.DataFrame:
    """The pipeline's misalignment table (both stages bootstrapped, B from the settings)."""
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.misalignment import TwoStageData, misalignment_table

    spec = replace(settings.misalignment, seed=seed)
    data, rows = TwoStageData.build(frame, DesignBuilder(settings.choice, settings.categories), spec,
                                    np.arange(len(settings.categories)))
    cluster = settings.performance.get("cluster")
    clusters = pd.factorize(rows[cluster])[0] if cluster else None
    return misalignment_table(data, spec, clusters=clusters, n_jobs=1)


def _lookup(table: pd.DataFrame, where: tuple[tuple[str, str], ...]) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where:
        mask &= table[column].astype(str).to_numpy() == value
    if mask.sum() != 1:
        raise ValueError(f"{int(mask.sum())} rows match {dict(where)}")
    return table[mask].iloc[0]


def _seed(*parts: int) -> int:
    """A 32-bit seed from integers (numpy's SeedSequence: independent streams per tuple)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def replicate(n: int, seed: int, truth: dict, settings: PowerSettings, codebook: Codebook, *,
              replicate_id: int = 0) -> pd.DataFrame:
    """Every effect's estimate, SE, p-value and detection in one simulated sample of ``n`` firms.

    The sample is the first ``n`` of ``settings.population`` firms (``n`` if None) simulated
    from ``seed``; the H7 bootstrap is seeded from (``seed``, ``n``). Returns one row per effect
    (columns ``REPLICATE_COLUMNS``; estimates in probability points for AMEs and in
    composite-index units per unit of misfit for H7), plus one ``all`` row per hypothesis with
    several effects: detected when all of them are. A fit that fails (e.g. a form absent from a
    small sample) gives a row with NaN estimates, ``detected`` False and the reason in ``note``:
    the pipeline would not have supported the hypothesis either.
    """
    from alliancegov.hypotheses import check_verdict

    population = max(n, settings.population or n)
    wave = simulate_population(truth, codebook, population, seed).iloc[:n].reset_index(drop=True)
    tables: dict[str, pd.DataFrame] = {}
    failures: dict[str, str] = {}
    estimator = ""
    with warnings.catch_warnings():
        # Small resamples are often separated: the Newton fits then warn at every step.
        warnings.simplefilter("ignore")
        frame = analysis_frame(wave, codebook, settings.performance)
        try:
            tables["choice_ame"], estimator = choice_ame(frame, settings)
        except (ValueError, np.linalg.LinAlgError) as error:
            failures["choice_ame"] = f"{type(error).__name__}: {error}"
        if settings.needs_two_stage:
            try:
                tables["misalignment"] = two_stage_table(frame, settings, _seed(seed, n))
            except (ValueError, np.linalg.LinAlgError, KeyError) as error:
                failures["misalignment"] = f"{type(error).__name__}: {error}"
    rows = []
    for effect in settings.effects:
        row = {"n": n, "replicate": replicate_id, "hypothesis": effect.hypothesis, "check": effect.check,
               "table": effect.table, "model": effect.get("model"), "outcome": effect.get("outcome"),
               "term": effect.get("term"), "expected": effect.expected, "estimate": np.nan, "std_error": np.nan,
               "p_value": np.nan, "detected": False,
               "estimator": estimator if effect.table == "choice_ame" else "bootstrap",
               "share_bootstrap_failed": np.nan, "note": failures.get(effect.table, "")}
        if effect.table in tables:
            try:
                found = _lookup(tables[effect.table], effect.where)
            except ValueError as error:
                row["note"] = str(error)
            else:
                row |= {"estimate": float(found["estimate"]), "std_error": float(found["std_error"]),
                        "p_value": float(found["p_value"])}
                if "share_failed" in found:
                    row["share_bootstrap_failed"] = float(found["share_failed"])
                row["detected"] = check_verdict(row["estimate"], row["p_value"], effect.expected,
                                                settings.alpha) == "supported"
        rows.append(row)
    table = pd.DataFrame(rows, columns=REPLICATE_COLUMNS)
    joint = table.groupby("hypothesis", sort=False).filter(lambda g: len(g) > 1)
    if len(joint):
        summary = joint.groupby("hypothesis", sort=False).agg(detected=("detected", "all")).reset_index()
        summary = summary.assign(n=n, replicate=replicate_id, check=f"{ALL_CHECKS}: simulated checks",
                                 table=ALL_CHECKS, model="", outcome="", term="", expected="", note="")
        table = pd.concat([table, summary.reindex(columns=REPLICATE_COLUMNS)], ignore_index=True)
    return table


def chunk_replicates(replicates: int, chunks: int, chunk: int) -> np.ndarray:
    """Replicate numbers of chunk ``chunk`` (0-based) when ``replicates`` are split in ``chunks``."""
    if not 0 <= chunk < chunks:
        raise ValueError(f"chunk {chunk} is not in 0..{chunks - 1}")
    return np.array_split(np.arange(replicates), chunks)[chunk]


def run_replicates(n: int, replicate_ids, truth: dict, settings: PowerSettings, codebook: Codebook) -> pd.DataFrame:
    """:func:`replicate` for each id in ``replicate_ids``; replicate ``r`` is seeded from
    (``settings.seed``, ``r``) whatever the chunking, so results do not depend on it."""
    parts = [replicate(n, _seed(settings.seed, r), truth, settings, codebook, replicate_id=int(r))
             for r in replicate_ids]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REPLICATE_COLUMNS)


# ---- power --------------------------------------------------------------------------------------------

def power_table(replicates: pd.DataFrame, level: float = 0.95, notes: dict[str, str] | None = None) -> pd.DataFrame:
    """Power per sample size and effect from the replicate rows (:func:`replicate`'s columns).

    Columns: ``n, hypothesis, check, table, model, outcome, term, expected, replicates,
    detections, power, mc_se`` (Monte Carlo SE, sqrt(p(1 − p)/R)), ``conf_low, conf_high``
    (Clopper–Pearson interval at ``level``), ``failed`` (replicates without an estimate, counted
    as not detected), ``mean_estimate, mean_std_error, share_bootstrap_failed`` (means over the
    replicates with an estimate) and ``note`` (the test, from ``notes`` keyed by table).
    """
    from scipy import stats

    keys = ["n", "hypothesis", "check", "table", "model", "outcome", "term", "expected"]
    frame = replicates.assign(detected=replicates["detected"].astype(bool),
                              failed=replicates["estimate"].isna() & (replicates["table"] != ALL_CHECKS))
    grouped = frame.groupby(keys, sort=False, dropna=False)
    table = grouped.agg(replicates=("replicate", "nunique"), detections=("detected", "sum"),
                        failed=("failed", "sum"), mean_estimate=("estimate", "mean"),
                        mean_std_error=("std_error", "mean"),
                        share_bootstrap_failed=("share_bootstrap_failed", "mean")).reset_index()
    R, x = table["replicates"].to_numpy(float), table["detections"].to_numpy(float)
    table["power"] = x / R
    table["mc_se"] = np.sqrt(table["power"] * (1 - table["power"]) / R)
    tail = (1 - level) / 2
    # Clopper–Pearson: beta quantiles, with the bounds 0 and 1 at no or all detections.
    table["conf_low"] = np.where(x > 0, stats.beta.ppf(tail, x, R - x + 1), 0.0)
    table["conf_high"] = np.where(x < R, stats.beta.ppf(1 - tail, x + 1, R - x), 1.0)
    table["note"] = table["table"].map(lambda name: (notes or {}).get(name, ""))
    order = ["n", *keys[1:], "replicates", "detections", "power", "mc_se", "conf_low", "conf_high", "failed",
             "mean_estimate", "mean_std_error", "share_bootstrap_failed", "note"]
    # Register order within a hypothesis (the order replicate() writes), the joint row last.
    position = {check: i for i, check in enumerate(dict.fromkeys(replicates["check"]))}
    table = table.assign(_order=table["check"].map(position))
    return table.sort_values(["hypothesis", "_order", "n"], kind="stable")[order].reset_index(drop=True)

"""Power planning (alliancegov.power and the `power` Snakemake target).

The replication counts here are small (the real ones live in config/config.yaml); every
comparison's tolerance is stated as a number of Monte Carlo standard errors.
"""

import copy
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from tests.conftest import ROOT

CATEGORIES = ["repeated_contract", "licensing", "supply_chain_partnership", "joint_venture"]
Z_TOLERANCE = 3.0   # Monte Carlo tolerance, in standard errors


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def register():
    return yaml.safe_load((ROOT / "config" / "hypotheses.yaml").read_text(encoding="utf-8"))


def settings_for(config, register, codebook, **power):
    from alliancegov.power.settings import PowerSettings

    config = copy.deepcopy(config)
    config["power"] = {**config["power"], **power}
    return PowerSettings.from_config(config, register, codebook)


# ---- (c) the truth at the current estimates ------------------------------------------------------

def estimate_tables(scale: float = 1.1, misfit: float = -0.5):
    """Tables shaped as choice_mnl.csv and misalignment.csv, from the simulator's truth × ``scale``."""
    from alliancegov.simulate.truth import load_truth, true_choice_coefficients

    truth = load_truth()
    coefficients = true_choice_coefficients(truth).rename(index={"sector_textile": "sector[textile]"}) * scale
    choice_mnl = coefficients.rename_axis("term").reset_index().melt("term", var_name="outcome",
                                                                     value_name="estimate")
    choice_mnl = choice_mnl.assign(base=truth["choice"]["base"], std_error=0.1, estimator="ml")
    misalignment = pd.DataFrame({"model": ["uncorrected", "misfit", "misfit"],
                                 "term": ["misaligned", "trust", "misfit"], "estimate": [-0.2, 0.3, misfit]})
    return truth, choice_mnl, misalignment


def test_truth_at_estimates_maps_every_term_and_leaves_the_truth_alone():
    from alliancegov.power.truth import truth_at_estimates

    truth, choice_mnl, misalignment = estimate_tables()
    before = copy.deepcopy(truth)
    out = truth_at_estimates(truth, choice_mnl, misalignment)
    assert truth == before
    for row in choice_mnl.itertuples():
        key = "sector_textile" if row.term == "sector[textile]" else row.term
        assert out["choice"]["coefficients"][row.outcome][key] == pytest.approx(row.estimate)
    assert out["performance"]["misalignment_penalty"] == pytest.approx(-0.5)
    assert truth_at_estimates(truth, choice_mnl, misalignment, penalty=-0.7)["performance"][
        "misalignment_penalty"] == pytest.approx(-0.7)


def test_truth_at_estimates_rejects_unknown_missing_or_ambiguous_terms():
    from alliancegov.power.truth import truth_at_estimates

    truth, choice_mnl, misalignment = estimate_tables()
    extra = pd.concat([choice_mnl, choice_mnl.iloc[[0]].assign(term="partner_distance")], ignore_index=True)
    with pytest.raises(ValueError, match="unknown.*partner_distance"):
        truth_at_estimates(truth, extra, misalignment)
    with pytest.raises(ValueError, match="missing.*trust"):
        truth_at_estimates(truth, choice_mnl[choice_mnl["term"] != "trust"], misalignment)
    other_base = choice_mnl.assign(base="licensing")
    with pytest.raises(ValueError, match="base"):
        truth_at_estimates(truth, other_base, misalignment)
    with pytest.raises(ValueError, match="misfit"):
        truth_at_estimates(truth, choice_mnl, misalignment[misalignment["model"] != "misfit"])


def test_effects_come_from_the_register(register):
    from alliancegov.power.settings import register_effects

    effects = register_effects(register, ["H1", "H7"])
    h1 = [c for h in register["hypotheses"] if h["id"] == "H1" for c in h["checks"]]
    assert [e.check for e in effects if e.hypothesis == "H1"] == [
        f"choice_ame: outcome={c['where']['outcome']}, term={c['where']['term']}" for c in h1]
    assert [e.check for e in effects if e.hypothesis == "H7"] == ["misalignment: model=misfit, term=misfit"]
    with pytest.raises(ValueError, match="H99"):
        register_effects(register, ["H99"])
    with pytest.raises(ValueError, match="H2"):
        register_effects(register, ["H2"])     # a proportion test: nothing the simulator is set at


def test_analysis_frame_has_the_columns_the_constructs_stage_builds(codebook, config):
    from alliancegov.constructs.stage import build_analysis
    from alliancegov.power.replicates import analysis_frame, simulate_population
    from alliancegov.simulate.truth import load_truth

    wave = simulate_population(load_truth(), codebook, 60, seed=3)
    frame = analysis_frame(wave, codebook, config["performance"])
    scored = [s for s in codebook.scales["scale"] if s in wave]     # the simulator's own scale scores
    reference, _ = build_analysis(wave.drop(columns=scored), codebook)
    assert not frame.columns.duplicated().any()
    pd.testing.assert_frame_equal(frame[reference.columns], reference)
    assert frame[config["performance"]["index"]["name"]].notna().all()


def test_penalty_calibration_hits_the_target_coefficient(codebook, config, register):
    from alliancegov.power.truth import calibrate_penalty
    from alliancegov.simulate.truth import load_truth

    settings = settings_for(config, register, codebook)
    target, tolerance = -0.5, 0.01
    truth, history = calibrate_penalty(load_truth(), target, settings, codebook, firms=6000, seed=5,
                                       tolerance=tolerance)
    final = history.iloc[-1]
    assert abs(final["coefficient"] - target) <= tolerance * abs(target)
    assert truth["performance"]["misalignment_penalty"] == final["penalty"]
    # the composite index attenuates the latent penalty: the calibrated penalty is larger
    assert abs(final["penalty"]) > abs(target)


# ---- (a) power at the simulator's truth against a direct Monte Carlo check ----------------------------

def direct_h1_replicate(n: int, seed: int, codebook, population: int) -> pd.DataFrame:
    """The H1 AMEs of one simulated sample, computed without alliancegov's scoring or estimators:
    the simulator's own scale scores, statsmodels' MNLogit and its get_margeff (delta method).

    The pipeline's SEs are cluster-robust by firm with Stata's G/(G − 1); every firm is its own
    cluster here, so they are statsmodels' HC0 sandwich × n/(n − 1).
    """
    import patsy
    import statsmodels.api as sm

    from alliancegov.simulate.population import simulate_waves
    from alliancegov.simulate.truth import CHOICE_SCALES

    wave = simulate_waves(population, [2024], seed=seed, codebook=codebook)[0].iloc[:n]
    formula = " + ".join(CHOICE_SCALES) + " + C(sector, Treatment('services'))"
    X = patsy.dmatrix(formula, wave, return_type="dataframe")
    y = wave["governance_form"].map({c: i for i, c in enumerate(CATEGORIES)}).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.MNLogit(y, X).fit(disp=0, method="newton", cov_type="HC0", maxiter=100)
        # the H1 terms are continuous (statsmodels' dummy=True path fails for MNLogit here)
        margins = fit.get_margeff(at="overall")
    names = [c for c in X.columns if c != "Intercept"]
    estimate = pd.DataFrame(margins.margeff, index=names, columns=CATEGORIES)
    se = pd.DataFrame(margins.margeff_se, index=names, columns=CATEGORIES) * np.sqrt(n / (n - 1))
    return estimate.stack().rename("estimate").to_frame().join(se.stack().rename("std_error"))


@pytest.fixture(scope="module")
def h1_at_truth(codebook, config, register):
    """H1 replicates at the simulator's truth from alliancegov.power, and the same samples' direct AMEs."""
    from alliancegov.power.replicates import _seed, run_replicates
    from alliancegov.simulate.truth import load_truth

    settings = settings_for(config, register, codebook, hypotheses=["H1"], sample_sizes=[400], seed=11)
    n, replicates = 400, 40
    ours = run_replicates(n, range(replicates), load_truth(), settings, codebook)
    direct = {r: direct_h1_replicate(n, _seed(settings.seed, r), codebook, settings.population)
              for r in range(replicates)}
    return ours, direct, settings, n


@pytest.mark.slow  # a Monte Carlo study
def test_h1_power_equals_a_direct_statsmodels_monte_carlo(h1_at_truth):
    """Same simulated samples, independent code: the simulator's scores, statsmodels' MNLogit and
    get_margeff. Every AME and SE agree, so the rejection counts (the power) agree."""
    ours, direct, settings, _ = h1_at_truth
    checks = ours[ours["table"] == "choice_ame"]
    ml = checks[checks["estimator"] == "ml"]
    assert len(ml) >= 0.9 * len(checks)     # Firth (separation) is rare at this size; those are compared below
    for row in ml.itertuples():
        reference = direct[row.replicate].loc[(row.term, row.outcome)]
        assert row.estimate == pytest.approx(reference["estimate"], rel=1e-6, abs=1e-9)
        assert row.std_error == pytest.approx(reference["std_error"], rel=1e-5)
    expected = {"positive": 1, "negative": -1}
    for check, rows in checks.groupby("check"):
        first = rows.iloc[0]
        direct_detected = [
            d.loc[(first.term, first.outcome), "estimate"] * expected[first.expected] > 0
            and 2 * stats.norm.sf(abs(d.loc[(first.term, first.outcome), "estimate"]
                                      / d.loc[(first.term, first.outcome), "std_error"])) < settings.alpha
            for d in (direct[r] for r in rows["replicate"])]
        disagree = int((rows["detected"].to_numpy() != np.array(direct_detected)).sum())
        assert disagree <= int((rows["estimator"] == "firth").sum()), check


@pytest.mark.slow  # a Monte Carlo study
def test_h1_power_matches_the_normal_approximation(codebook, config, register, h1_at_truth):
    """Power ≈ Φ(|AME|/SE(n) − z) + Φ(−|AME|/SE(n) − z), with the AME and SE(n) = SE_N √(N/n) from
    one sample of N = 20,000 firms, within Monte Carlo error."""
    from alliancegov.choice.design import build_design
    from alliancegov.choice.model import ame_table, fit_mnl
    from alliancegov.power.replicates import analysis_frame, simulate_population
    from alliancegov.power.summary import power_table
    from alliancegov.simulate.truth import load_truth

    ours, _, settings, n = h1_at_truth
    N = 20_000
    frame = analysis_frame(simulate_population(load_truth(), codebook, N, seed=99), codebook, settings.performance)
    design = build_design(frame, settings.choice, CATEGORIES)   # no separation check: 30 s at this size
    large = ame_table(fit_mnl(design, settings.choice), design, settings.choice).set_index(["outcome", "term"])
    table = power_table(ours)
    z = stats.norm.ppf(1 - settings.alpha / 2)
    replicates = ours["replicate"].nunique()
    for row in table[table["table"] == "choice_ame"].itertuples():
        effect = large.loc[(row.outcome, row.term)]
        shift = abs(effect["estimate"]) / (effect["std_error"] * np.sqrt(N / n))
        approximate = stats.norm.cdf(shift - z)          # the wrong-sign rejections are negligible
        mc_se = np.sqrt(approximate * (1 - approximate) / replicates)
        assert abs(row.power - approximate) <= Z_TOLERANCE * mc_se + 1 / replicates, (row.check, row.power,
                                                                                        approximate)


# ---- (b) monotone in n, and the table's arithmetic -------------------------------------------------------

@pytest.mark.slow  # a Monte Carlo study
def test_power_curves_rise_with_the_sample_size(codebook, config, register):
    """H1 and H7 at the simulator's truth, 3 sizes × 16 nested replicates: no size loses power beyond
    Monte Carlo noise, and the largest size has at least the smallest's power."""
    from alliancegov.power.replicates import run_replicates
    from alliancegov.power.summary import power_table
    from alliancegov.simulate.truth import load_truth

    sizes, replicates = [50, 150, 450], 16
    settings = settings_for(config, register, codebook, sample_sizes=sizes, bootstrap_replicates=19, seed=23)
    rows = pd.concat([run_replicates(n, range(replicates), load_truth(), settings, codebook) for n in sizes])
    table = power_table(rows, notes=settings.note())
    assert set(table["check"]) == {e.check for e in settings.effects} | {"all: simulated checks"}
    assert (table["replicates"] == replicates).all()
    for check, curve in table.groupby("check"):
        power = curve.sort_values("n")["power"].to_numpy()
        se = np.sqrt(np.maximum(power * (1 - power), 1 / replicates) / replicates)
        drops = power[:-1] - power[1:]
        assert (drops <= Z_TOLERANCE * np.hypot(se[:-1], se[1:])).all(), (check, power)
        assert power[-1] >= power[0], (check, power)
    # Clopper–Pearson bounds as statsmodels computes them, and the Monte Carlo SE
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(table["detections"], table["replicates"], alpha=0.05, method="beta")
    np.testing.assert_allclose(table["conf_low"], np.nan_to_num(low, nan=0.0), atol=1e-10)
    np.testing.assert_allclose(table["conf_high"], np.nan_to_num(high, nan=1.0), atol=1e-10)
    np.testing.assert_allclose(table["mc_se"], np.sqrt(table["power"] * (1 - table["power"]) / replicates))
    h7 = table[table["table"] == "misalignment"]
    assert h7["note"].str.contains("B=19").all() and h7["mean_estimate"].lt(0).all()


def test_replicates_are_deterministic_and_independent_of_chunking(codebook, config, register):
    from alliancegov.power.replicates import chunk_replicates, run_replicates
    from alliancegov.simulate.truth import load_truth

    settings = settings_for(config, register, codebook, hypotheses=["H1"], sample_sizes=[80], seed=4)
    whole = run_replicates(80, range(4), load_truth(), settings, codebook)
    parts = [run_replicates(80, chunk_replicates(4, 3, c), load_truth(), settings, codebook) for c in range(3)]
    pd.testing.assert_frame_equal(whole, pd.concat(parts, ignore_index=True))
    with pytest.raises(ValueError, match="chunk"):
        chunk_replicates(4, 3, 3)


# ---- (d) the Snakemake scatter-gather plan ------------------------------------------------------------

def test_dry_run_plans_one_replicates_job_per_size_and_chunk(tmp_path, config):
    from tests.test_pipeline import copy_project, snakemake

    copy_project(tmp_path)
    result = snakemake(tmp_path, "--dry-run", "power")
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    blocks = re.split(r"\n(?=\[.*\]\nrule |rule )", output)
    jobs = [b for b in blocks if b.lstrip().startswith("rule power_replicates:")]
    planned = {(int(re.search(r"n=(\d+)", b).group(1)), int(re.search(r"chunk=(\d+)", b).group(1))) for b in jobs}
    power = config["power"]
    assert len(jobs) == len(planned) == len(power["sample_sizes"]) * power["chunks"]
    assert planned == {(n, c) for n in power["sample_sizes"] for c in range(power["chunks"])}
    for block in jobs:
        assert re.search(r"resources:.*mem_mb=\d+", block), block
        assert "threads:" not in block     # Snakemake prints threads only above 1: these jobs declare 1
    assert re.search(r"power_replicates\s+" + str(len(jobs)), output)
    for rule in ("power_truth", "power_summary", "choice", "performance"):
        assert f"rule {rule}:" in output, rule

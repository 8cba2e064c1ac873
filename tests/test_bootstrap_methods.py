"""The bootstraps' methods (choice model, two-stage misalignment model): refits, or Newton steps from
the estimates (k-step) above a size."""

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from alliancegov.choice.bootstrap import bootstrap_part, bootstrap_table, bootstrap_table_from_parts
from alliancegov.choice.design import build_design
from alliancegov.simulate.population import simulate_waves
from tests.test_choice import CATEGORIES, light, scored
from tests.test_performance import simulated_two_stage


@pytest.fixture(scope="module")
def clustered(codebook):
    """3,000 rows of 2,000 firms (a firm in one to three waves): a moderate clustered sample."""
    data = scored(simulate_waves(1000, [2024, 2025, 2026], seed=11, codebook=codebook), codebook)
    return build_design(data, light(), CATEGORIES)


@pytest.mark.slow  # two bootstraps of 399 resamples at 3,000 rows
def test_k_step_bootstrap_equals_the_refit_bootstrap_at_moderate_n(clustered):
    """Same seed, so the same firms drawn: the k-step draws differ from the refits only by the
    Newton steps' remainder. Tolerances: SEs within 0.5% and BCa bounds within 0.02 SE, far
    inside the Monte Carlo error of either bootstrap at B = 399 (an SE's is about
    1/sqrt(2B) = 3.5%, a 2.5% quantile's about 0.1 SE), so the two are interchangeable."""
    assert len(clustered.y) == 3000 and len(np.unique(clustered.groups)) > 1500
    spec = light(bootstrap_replicates=399, seed=3)
    refits = bootstrap_table(clustered, replace(spec, bootstrap_method="refit"))
    steps = bootstrap_table(clustered, replace(spec, bootstrap_method="k_step"))
    assert (refits["n_ok"] == 399).all() and (steps["n_ok"] == 399).all()
    np.testing.assert_allclose(steps["estimate"], refits["estimate"], rtol=1e-12)
    np.testing.assert_allclose(steps["std_error"], refits["std_error"], rtol=0.005)
    for bound in ("conf_low", "conf_high"):
        assert np.all(np.abs(steps[bound] - refits[bound]) < 0.02 * refits["std_error"]), bound
    assert (steps["p_value"] >= 2 / 400).all() and (refits["p_value"] >= 2 / 400).all()
    assert steps["note"].str.contains("Newton steps from the full-sample estimates").all()
    assert steps["note"].str.contains("firms resampled whole); each resample's", regex=False).all()
    assert not refits["note"].str.contains("Newton").any()


def test_auto_refits_small_samples_and_steps_above_the_threshold(panel_design):
    """``auto`` refits up to ``bootstrap_refit_max_rows`` (the note as it always was) and takes
    Newton steps above, naming them and the threshold; the steps' parts gather to the whole."""
    spec = light(bootstrap_replicates=59, seed=6)
    rows = len(panel_design.y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        small = bootstrap_table(panel_design, replace(spec, bootstrap_refit_max_rows=rows))
        refit = bootstrap_table(panel_design, replace(spec, bootstrap_method="refit"))
    pd.testing.assert_frame_equal(small, refit)
    large_spec = replace(spec, bootstrap_refit_max_rows=rows - 1)
    large = bootstrap_table(panel_design, large_spec)
    assert large["note"].str.contains(f"{rows} rows, above choice.bootstrap_refit_max_rows {rows - 1}").all()
    parts = [bootstrap_part(panel_design, large_spec, part, 2) for part in range(2)]
    pd.testing.assert_frame_equal(bootstrap_table_from_parts(panel_design, large_spec, parts), large)
    assert (large["p_value"] >= 2 / 60).all()


def test_k_step_with_frequency_weights_draws_firms_as_the_refits_do(codebook):
    """With frequency weights both methods draw the same units, so their SEs agree closely (1,000
    rows: at 300, 5 of 99 resamples' steps did not settle in 20, where the refits' step halving
    converged, which is why ``auto`` refits small samples)."""
    data = scored(simulate_waves(1000, [2024], seed=12, codebook=codebook), codebook)
    weights = np.random.default_rng(4).integers(1, 4, len(data))
    spec = light(cov_type="model", weights="fw", bootstrap_replicates=99)
    design = build_design(data.assign(fw=weights), spec, CATEGORIES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        refits = bootstrap_table(design, replace(spec, bootstrap_method="refit"))
    steps = bootstrap_table(design, replace(spec, bootstrap_method="k_step"))
    clause = "units drawn, not rows); each resample's estimates are Newton steps"
    assert steps["note"].str.contains(clause, regex=False).all()
    assert (refits["n_ok"] == 99).all() and (steps["n_ok"] == 99).all()
    np.testing.assert_allclose(steps["std_error"], refits["std_error"], rtol=0.01)


def test_the_spec_checks_the_method():
    with pytest.raises(ValueError, match="bootstrap_method"):
        light(bootstrap_method="score")
    with pytest.raises(ValueError, match="bootstrap_max_steps"):
        light(bootstrap_max_steps=0)
    assert light(bootstrap_refit_max_rows=10).bootstrap_uses_refits(10)
    assert not light(bootstrap_refit_max_rows=10).bootstrap_uses_refits(11)
    assert not light(bootstrap_method="k_step").bootstrap_uses_refits(1)


@pytest.fixture(scope="module")
def panel_design(codebook):
    data = scored(simulate_waves(120, [2024, 2025, 2026], seed=7, codebook=codebook), codebook)
    return build_design(data, light(), CATEGORIES)


@pytest.mark.slow  # two two-stage bootstraps of 99 resamples at 3,000 firms
@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_two_stage_k_step_bootstrap_equals_the_refits(codebook):
    """The misalignment bootstrap with the first stage by Newton steps: the same firms drawn, each
    of the 141 estimates (pooled models, switching regressions with their selection terms, the
    counterfactual) within 0.01 of its bootstrap SE of the refit's on every resample (found: 0.001),
    so SEs and intervals agree far inside Monte Carlo error; the tables' note says which method."""
    from alliancegov.misalignment.bootstrap import misalignment_bootstrap, misalignment_intervals

    data, spec = simulated_two_stage(codebook, 3000, seed=31, equation="trust + C(sector)")
    spec = replace(spec, bootstrap_replicates=99)
    refits = misalignment_bootstrap(data, replace(spec, bootstrap_method="refit"))
    steps_spec = replace(spec, bootstrap_method="k_step")
    steps = misalignment_bootstrap(data, steps_spec)
    assert refits.n_ok == steps.n_ok == 99 and refits.estimates.shape[1] > 100
    assert np.all(np.abs(steps.estimates - refits.estimates) <= 0.01 * refits.std_error)
    np.testing.assert_allclose(steps.std_error, refits.std_error, rtol=0.005)
    tables = misalignment_intervals(data, steps_spec, steps)
    assert tables["misalignment"]["note"].str.contains("the first stage by Newton steps").all()
    refit_note = misalignment_intervals(data, spec, refits)["misalignment"]["note"]
    assert refit_note.str.contains("both stages refitted on each").all()


def test_the_misalignment_spec_chooses_refits_up_to_its_threshold():
    from alliancegov.misalignment.spec import MisalignmentSpec

    spec = MisalignmentSpec.from_config({"outcome": "y", "controls": "x", "bootstrap_refit_max_rows": 50})
    assert spec.bootstrap_uses_refits(50) and not spec.bootstrap_uses_refits(51)
    with pytest.raises(ValueError, match="bootstrap_method"):
        MisalignmentSpec("y", "x", bootstrap_method="score").bootstrap_uses_refits(1)

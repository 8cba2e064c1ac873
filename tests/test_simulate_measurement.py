"""The simulator's measurement truth: latent constructs drawn from a known correlation matrix, items
of known loadings, a method factor of known variance, a marker scale, a known response-time pattern
and sampling frames; and the measurement stage's estimators recovering them (issue 17)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alliancegov.simulate.exports import example_frame_sizes
from alliancegov.simulate.items import METHOD_FACTOR, item_parameters, standardised_latents
from alliancegov.simulate.population import FRAME_SIZE, draw
from alliancegov.simulate.truth import latent_correlation, load_truth, override_truth
from tests.conftest import ROOT

CONSTRUCTS = ["asset_specificity", "environmental_uncertainty", "behavioural_uncertainty", "trust",
              "knowledge_tacitness", "complementarity_motive", "scale_motive", "partner_distance"]
MARKER = "blue_attitude"
TEXTILE_ONLY = {"firms.sector": {"textile": 1.0, "services": 0.0}}


def keyed_items(frame: pd.DataFrame, parameters: pd.DataFrame) -> pd.DataFrame:
    """The items in their construct's direction (reverse-coded ones re-reversed), as scored."""
    return pd.DataFrame({item: np.where(parameters.at[item, "reverse"], 6 - frame[item], frame[item])
                         for item in parameters.index})


@pytest.fixture(scope="module")
def textile(codebook):
    """20,000 textile firms at their first interview, the truth's method variance (0.1)."""
    truth = override_truth(load_truth(), TEXTILE_ONLY)
    return truth, draw(codebook, 20_000, seed=1701, truth=truth)


def test_latent_scores_follow_the_true_correlation_matrix(textile):
    truth, frame = textile
    eta = standardised_latents(frame, frame["sector"].to_numpy(), truth)
    expected = latent_correlation(truth)
    assert expected.loc["behavioural_uncertainty", "trust"] == -0.40 and expected.loc[MARKER].drop(MARKER).eq(0).all()
    # each sample correlation has SE (1 − ρ²)/√n ≤ .007 here
    np.testing.assert_allclose(eta.corr().loc[expected.index, expected.columns], expected, atol=0.03)
    np.testing.assert_allclose(eta.std(), 1, atol=0.02)
    np.testing.assert_allclose(eta.mean(), 0, atol=0.03)


def test_items_carry_their_loadings_and_the_method_factor(textile, codebook):
    """Every item's answer correlates with its construct and with the method factor as the truth
    says (exact values for the rounded, clipped answers), and with no other construct beyond what
    the constructs' correlations and the method factor imply."""
    truth, frame = textile
    parameters = item_parameters(truth, codebook, "textile")
    assert parameters["loading"].between(0.55, 0.85).all() and len(parameters) == 30
    np.testing.assert_allclose(parameters.loc["as1", "std_loading"] ** 2 + parameters.loc["as1", "std_method_loading"]
                               ** 2 + (parameters.loc["as1", "unique_sd"] / parameters.loc["as1", "response_sd"]) ** 2,
                               1)
    items = keyed_items(frame, parameters)
    eta = standardised_latents(frame, frame["sector"].to_numpy(), truth)
    with_construct = pd.Series({item: np.corrcoef(items[item], eta[parameters.at[item, "scale"]])[0, 1]
                                for item in parameters.index})
    with_method = items.corrwith(frame[METHOD_FACTOR])
    np.testing.assert_allclose(with_construct, parameters["answer_loading"], atol=0.02)
    np.testing.assert_allclose(with_method, parameters["answer_method_loading"], atol=0.02)
    assert parameters["answer_method_loading"].between(0.2, 0.35).all()          # a small method factor
    # the marker's items correlate with the constructs through the method factor alone
    marker_items = parameters.index[parameters["scale"] == MARKER]
    trust_items = parameters.index[parameters["scale"] == "trust"]
    implied = np.outer(parameters.loc[marker_items, "answer_method_loading"],
                       parameters.loc[trust_items, "answer_method_loading"])
    observed = items[[*marker_items, *trust_items]].corr().loc[marker_items, trust_items]
    np.testing.assert_allclose(observed, implied, atol=0.03)


def test_without_method_variance_the_cfa_recovers_the_true_loadings_and_correlations(codebook):
    """The measurement stage's CFA (every scale of the codebook but the outcomes, one factor each),
    on 20,000 textile firms with the method factor off: standardised loadings within .03 of the
    true loadings of the rounded answers (SE about .005; rounding and clipping make the items only
    approximately a factor model, which moves the estimates by about +.003 on average), factor
    correlations within .035 of the true ones."""
    from alliancegov.measurement.factors import fit_quietly

    truth = override_truth(load_truth(), {**TEXTILE_ONLY, "constructs.method_variance": 0.0})
    parameters = item_parameters(truth, codebook, "textile")
    items = keyed_items(draw(codebook, 20_000, seed=1702, truth=truth), parameters)
    factors = {scale: list(parameters.index[parameters["scale"] == scale]) for scale in [*CONSTRUCTS, MARKER]}
    result, messages = fit_quietly(items, factors)
    assert result.converged and not messages
    params = result.params
    loadings = params[params["op"] == "=~"].set_index("rhs")["std_all"]
    difference = loadings - parameters.loc[loadings.index, "answer_loading"]
    assert difference.abs().max() < 0.03 and abs(difference.mean()) < 0.01, difference.round(3).to_dict()
    covariances = params[(params["op"] == "~~") & params["lhs"].isin(factors) & (params["lhs"] != params["rhs"])]
    true = latent_correlation(truth)
    np.testing.assert_allclose(covariances["std_all"], [true.loc[a, b] for a, b in
                                                        zip(covariances["lhs"], covariances["rhs"])], atol=0.035)


def test_the_marker_correction_recovers_the_method_free_correlations(codebook):
    """Lindell & Whitney's correction (the measurement stage's marker rows) with the blue-attitude
    marker brings the scale scores' correlations to those the same firms give with the method factor
    off (common random numbers: the same firms, latent scores and item errors), far closer than the
    raw correlations."""
    from alliancegov.measurement.method import marker_rows

    with_method = draw(codebook, 20_000, seed=1703)
    without = draw(codebook, 20_000, seed=1703, changes={"constructs.method_variance": 0.0})
    assert (with_method["firm_id"] == without["firm_id"]).all()
    rows, marker_correlation = marker_rows(with_method, CONSTRUCTS, MARKER)
    adjusted = pd.DataFrame([row for row in rows if row["quantity"] == "adjusted_correlation"])
    pairs = list(zip(adjusted["variable_a"], adjusted["variable_b"]))
    target = np.array([without[CONSTRUCTS].corr().loc[a, b] for a, b in pairs])
    raw = np.array([with_method[CONSTRUCTS].corr().loc[a, b] for a, b in pairs])
    assert 0.05 < marker_correlation < 0.15                              # method variance 0.1 of about 1
    assert np.abs(raw - target).mean() > 0.08                              # the method inflates every pair
    assert np.abs(adjusted["value"].to_numpy() - target).mean() < 0.25 * np.abs(raw - target).mean()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_unmeasured_method_factor_takes_the_planted_method_share(codebook):
    """The ULMC with equal method loadings (the measurement stage's default) on 20,000 textile
    firms with method variance 0.3: its mean method share is the mean squared true method loading
    of the answers (within .03)."""
    from alliancegov.stats.common_method import method_factor_test

    truth = override_truth(load_truth(), {**TEXTILE_ONLY, "constructs.method_variance": 0.3})
    parameters = item_parameters(truth, codebook, "textile").query("scale != @MARKER")
    items = keyed_items(draw(codebook, 20_000, seed=1704, truth=truth), parameters)
    factors = {scale: list(parameters.index[parameters["scale"] == scale]) for scale in CONSTRUCTS}
    result = method_factor_test(items, factors, equal_loadings=True)
    assert result.mean_method_share == pytest.approx((parameters["answer_method_loading"] ** 2).mean(), abs=0.03)


def test_submissions_fall_in_the_fieldwork_and_a_planted_lateness_shows(codebook):
    truth = load_truth()
    frame = draw(codebook, 20_000, seed=1705, changes={"fieldwork.lateness": {"trust": 0.3}})
    times = pd.to_datetime(frame["submission_time"])
    start = pd.Timestamp(2024, truth["fieldwork"]["start_month"], truth["fieldwork"]["start_day"])
    assert times.min() >= start and times.max() < start + pd.Timedelta(days=truth["fieldwork"]["days"])
    assert times.dt.hour.between(9, 17).all()
    eta = standardised_latents(frame, frame["sector"].to_numpy(), truth)
    rank = times.rank(method="first")
    third = len(frame) // 3
    late, early = rank > len(frame) - third, rank <= third
    shift = 2 * 3 * stats.norm.pdf(stats.norm.ppf(2 / 3))                 # ≈ 2.18 per unit of lateness
    assert eta.loc[late, "trust"].mean() - eta.loc[early, "trust"].mean() == pytest.approx(0.3 * shift, abs=0.05)
    # and through trust's correlations (−0.4 with behavioural uncertainty): 0.3 × −0.4 × 2.18
    difference = eta.loc[late, "behavioural_uncertainty"].mean() - eta.loc[early, "behavioural_uncertainty"].mean()
    assert difference == pytest.approx(-0.12 * shift, abs=0.05)
    assert abs(eta.loc[late, "asset_specificity"].mean() - eta.loc[early, "asset_specificity"].mean()) < 0.05
    with pytest.raises(ValueError, match="not latent scales"):
        draw(codebook, 10, seed=1, changes={"fieldwork.lateness": {"loyalty": 0.3}})
    with pytest.raises(ValueError, match="variance"):
        draw(codebook, 10, seed=1, changes={"fieldwork.lateness": {"trust": 1.2}})


@pytest.mark.slow  # a Monte Carlo study
def test_the_early_late_test_has_its_nominal_size_without_a_planted_shift(codebook):
    """250 simulated waves of 300 firms, answering late unrelated to any answer: the measurement
    stage's early/late Welch test of trust rejects at 5% in 5% of them (5 to 22 of 250: outside,
    a correct test falls under 1% of the time); with lateness 0.3 on trust it rejects in most."""
    from alliancegov.measurement.nonresponse import early_late

    def rejections(changes: dict) -> int:
        count = 0
        for replication in range(250):
            frame = draw(codebook, 300, seed=30_000 + replication, changes=changes)
            row = early_late(frame, ["trust"], time_variable="submission_time")[0]
            count += row["p_value"] < 0.05
        return count

    assert 5 <= rejections({}) <= 22
    assert rejections({"fieldwork.lateness": {"trust": 0.3}}) > 200


def test_frame_sizes_give_the_response_propensity(codebook):
    truth = load_truth()
    p = truth["fieldwork"]["response_propensity"]
    frame = draw(codebook, 5000, seed=1706, years=(2024, 2025, 2026))
    sizes = frame.groupby("wave")[FRAME_SIZE].agg(["min", "max"])
    assert (sizes["min"] == sizes["max"]).all()
    nonrespondents = sizes["min"] - 5000                                   # NegativeBinomial(5000, p)
    mean, sd = 5000 * (1 - p) / p, np.sqrt(5000 * (1 - p)) / p
    assert ((nonrespondents - mean).abs() < 4 * sd).all()


def test_the_waves_sheet_carries_the_bundled_examples_simulated_frame_sizes(codebook):
    sheet = pd.read_csv(ROOT / "config" / "waves.tsv", sep="\t", dtype=str).set_index("wave")["frame_size"]
    assert {wave: int(size) for wave, size in sheet.items()} == example_frame_sizes(codebook)

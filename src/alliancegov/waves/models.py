"""The choice model across survey waves: pooled with wave effects, one model per wave, and the
tests that its coefficients are the same in every wave.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from alliancegov.choice.design import build_design
from alliancegov.choice.diagnostics import TEST_COLUMNS
from alliancegov.choice.model import fit_mnl, model_separated
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.choice.variants import side_by_side
from alliancegov.model_checks import listing

POOLED_WAVES_MODEL = "pooled_wave_fe"


POOLED_DESCRIPTION = "the choice model pooled over waves with wave effects"   # its name in messages


def _of_wave(name: str) -> str:
    return f"the choice model of wave {name}"


def _wave_factor(wave: str, waves: list[str]) -> str:
    return f"C({wave}, Treatment({waves[0]!r}))"


def wave_tables(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str],
                wave: str = "wave") -> dict[str, pd.DataFrame]:
    """The choice model across survey waves, as a user would check it with Stata's ``i.wave``,
    ``by wave: mlogit`` and ``lrtest``.

    Parameters
    ----------
    data : DataFrame
        The pooled analysis frame, every wave's responses.
    spec : ChoiceSpec
        The choice model (formula, covariance, weights).
    categories : list of str
        The outcome's categories in the codebook's order.
    wave : str, default="wave"
        The column of survey waves.

    Returns
    -------
    dict of str to DataFrame
        ``choice_waves``: the pooled model with wave fixed effects (``model`` ``pooled_wave_fe``, wave
        dummies against the first wave in ``data``'s order) beside one model per wave (``model`` = the
        wave), in :func:`~alliancegov.choice.variants.side_by_side`'s layout. ``choice_stability``:
        tests that the coefficients other than the intercepts are the same in every wave
        (``TEST_COLUMNS``: ``test, hypothesis, df, statistic, p_value, note``):

        - ``lr``: 2 (Σ per-wave log-likelihoods − pooled-with-wave-FE log-likelihood), df = the extra
          parameters. It assumes independent observations, which firms re-interviewed across waves
          break; hence also
        - ``wald_<cov_type>`` (``wald_cluster`` by default): the pooled model with every regressor
          interacted with the wave, with the configured covariance (clustered by firm by default),
          Wald test that all the interactions are 0 — robust to the repeated firms, as Stata's
          ``suest`` would be.

        With one wave both tables are empty (with their columns).

    See Also
    --------
    stability_tests : how the two tests are computed.
    """
    waves = list(pd.unique(data[wave].dropna()))
    if len(waves) < 2:
        empty = side_by_side([(POOLED_WAVES_MODEL, data, spec)], categories,
                             {POOLED_WAVES_MODEL: "the choice model"}).iloc[:0]
        return {"choice_waves": empty, "choice_stability": pd.DataFrame(columns=TEST_COLUMNS)}
    factor = _wave_factor(wave, waves)
    pooled_spec = replace(spec, formula=f"{spec.formula} + {factor}")
    described = {POOLED_WAVES_MODEL: POOLED_DESCRIPTION} | {w: _of_wave(w) for w in waves}
    # Each wave is fitted before the pooled model, so a wave that cannot support the model is named
    # as such rather than surfacing as the pooled fit's singular information.
    per_wave = side_by_side([(w, data[data[wave] == w], spec) for w in waves], categories, described)
    pooled = side_by_side([(POOLED_WAVES_MODEL, data, pooled_spec)], categories, described)
    return {"choice_waves": pd.concat([pooled, per_wave], ignore_index=True),
            "choice_stability": stability_tests(data, spec, categories, wave, waves)}



def stability_tests(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str], wave: str,
                    waves: list[str]) -> pd.DataFrame:
    """LR and cluster-robust Wald tests of equal slopes across waves (see :func:`wave_tables`).

    Without weights or a survey design, the per-wave fits are the interacted model's estimates, so
    the Wald test comes from their joint (``suest``) covariance with the configured ``cov_type``,
    without building the interacted design. With frequency weights or a survey design the LR test
    is not computed (it needs unweighted maximum likelihood) and the interacted model itself is
    fitted as configured. When a form is not chosen in some wave its wave-specific intercept is
    infinite, and neither test is computed.

    Parameters
    ----------
    data : DataFrame
        The pooled analysis frame.
    spec : ChoiceSpec
        The choice model.
    categories : list of str
        The outcome's categories in the codebook's order.
    wave : str
        The column of survey waves.
    waves : list of str
        The waves, the first one the reference of the wave effects.

    Returns
    -------
    DataFrame
        Two rows, ``lr`` and ``wald_<cov_type>``, with ``TEST_COLUMNS`` (``test, hypothesis, df,
        statistic, p_value, note``); a test not computed has NaN values and says why in ``note``,
        in a sentence naming the wave (and the form or variable) to blame.
    """
    from alliancegov.model_checks import ModelSpecificationError, not_computed

    hypothesis = f"same coefficients in the {len(waves)} waves (intercepts free)"
    wald_name = f"wald_{spec.cov_type}"

    def neither(reason: str) -> pd.DataFrame:
        return pd.DataFrame([(test, hypothesis, np.nan, np.nan, np.nan, reason) for test in ("lr", wald_name)],
                            columns=TEST_COLUMNS)

    try:
        return _stability_tests(data, spec, categories, wave, waves, hypothesis, neither)
    except ModelSpecificationError as error:
        return neither(not_computed(error))


def _stability_tests(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str], wave: str, waves: list[str],
                     hypothesis: str, neither) -> pd.DataFrame:
    from scipy import stats

    from alliancegov.stats.mnl_tests import equal_coefficients_test, wald_test_terms

    factor = _wave_factor(wave, waves)
    ml = replace(spec, cov_type="model", weights=None)
    pooled = build_design(data, replace(ml, formula=f"{spec.formula} + {factor}"), categories,
                          model=POOLED_DESCRIPTION)
    wald_name = f"wald_{spec.cov_type}"
    per_wave = [build_design(data[data[wave] == w], ml, categories, model=_of_wave(w)) for w in waves]
    unchosen = [f"no firm of wave {w} chose {spec.outcome} {listing(sorted(set(pooled.levels) - set(design.levels)))}"
                for w, design in zip(waves, per_wave) if design.levels != pooled.levels]
    if unchosen:
        # wave-specific intercepts of a form nobody chose in a wave are infinite: neither test exists
        return neither(f"not computed: {' and '.join(unchosen)}, and a wave's own intercept of a form nobody in it "
                       "chose is infinite")
    separated = [w for w, design in zip(waves, per_wave) if model_separated(design)]
    if separated:
        # the per-wave tables then show Firth's estimates; the tests compare maximum-likelihood fits that do not exist
        return neither(f"not computed: the data of wave{'s' if len(separated) > 1 else ''} {listing(separated)} are "
                       "separated, so the maximum-likelihood fits both tests compare do not exist (Albert & Anderson "
                       "1984); the per-wave models show Firth's penalised estimates")
    if spec.weights or spec.cov_type == "design":
        weighting = "a survey design" if spec.cov_type == "design" else f"frequency weights ({spec.weights})"
        rows = [("lr", hypothesis, np.nan, np.nan, np.nan,
                 f"not computed: the LR test needs unweighted maximum likelihood, and the model has {weighting}")]
        # the interacted model itself, fitted as configured (weights, survey design)
        interacted = replace(spec, formula=f"({spec.formula}) * {factor}")
        design = build_design(data, interacted, categories, model="the choice model with every slope by wave")
        fit = fit_mnl(design, interacted)
        interactions = [column for term, columns in design.terms.items()
                        if ":" in term and wave in term.split(":") for column in columns]
        wald = wald_test_terms(SimpleNamespace(params=fit.params), list(design.X.columns), {hypothesis: interactions},
                               cov=fit.cov)
        rows.append((wald_name, hypothesis, *wald.loc[0, ["df", "statistic", "p_value"]],
                     f"{spec.cov_type} covariance"))
        return pd.DataFrame(rows, columns=TEST_COLUMNS)
    fits = [fit_mnl(design, ml) for design in per_wave]
    restricted = fit_mnl(pooled, ml).loglik
    n_equations = len(pooled.levels) - 1
    df = (sum(design.X.shape[1] for design in per_wave) - pooled.X.shape[1]) * n_equations
    statistic = 2 * (sum(fit.loglik for fit in fits) - restricted)
    rows = [("lr", hypothesis, df, statistic, float(stats.chi2.sf(statistic, df)),
             "assumes independent observations across waves")]
    # The interacted model's estimates are the per-wave fits: its Wald test comes from their joint
    # (suest) covariance, without its (n, waves × k) design (6 GB at 10^6 firms in 10 waves).
    samples = [(design.X.to_numpy(), design.y, fit.params,
                design.data[spec.cluster].to_numpy() if spec.cov_type == "cluster" else None)
               for design, fit in zip(per_wave, fits)]
    slopes = [column for column in per_wave[0].X.columns if column != "Intercept"]
    wald = equal_coefficients_test(samples, [list(design.X.columns) for design in per_wave], slopes,
                                   kind=spec.cov_type)
    rows.append((wald_name, hypothesis, wald.df, wald.statistic, wald.p_value, f"{spec.cov_type} covariance"))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)

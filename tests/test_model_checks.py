"""Each model stage stops on data that cannot identify it with one sentence naming the variable and
the wave, never a numerical library's message; graceful paths say why in a readable note."""

import warnings

import numpy as np
import pandas as pd
import pytest

from alliancegov.choice.design import DesignBuilder, build_design
from alliancegov.choice.model import fit_mnl
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.choice.stage import analyse_choice
from alliancegov.misalignment.bootstrap import misalignment_table
from alliancegov.misalignment.two_stage import MisalignmentSpec, TwoStageData
from alliancegov.model_checks import ModelSpecificationError, not_computed
from alliancegov.performance.ols import PerformanceSpec, fit_ols
from alliancegov.waves.models import stability_tests, wave_tables

FORMS = ["market", "licence", "venture"]


@pytest.fixture
def firms():
    """300 firms in three waves of 100, forms unrelated to the regressors."""
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame({"trust": rng.normal(size=n), "asset": rng.normal(size=n),
                          "sector": rng.choice(["services", "textile"], n), "form": rng.choice(FORMS, n),
                          "wave": np.repeat(["w1", "w2", "w3"], 100), "firm_key": np.arange(n),
                          "performance": rng.normal(size=n)})
    return frame.assign(trust_copy=2 * frame["trust"])


def choice(formula="trust + asset + C(sector)", **options):
    return ChoiceSpec("form", "market", formula, **({"cov_type": "model", "ordered": False, "cv_folds": 0}
                                                    | options))


def stops(call, message: str):
    """``call()`` raises a ModelSpecificationError whose message is exactly ``message``: one sentence."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ModelSpecificationError) as caught:
            call()
    assert str(caught.value) == message
    assert message.count(". ") == 0 and message.endswith(".")
    return caught.value


def test_choice_model_with_every_firm_in_one_form(firms):
    stops(lambda: analyse_choice(firms.assign(form="licence"), choice(), FORMS),
          "The choice model cannot be fitted: all 300 firms used have the same form (licence), so there is no "
          "other outcome to compare it with.")


@pytest.mark.parametrize("formula", ["trust + C(sector)", "trust + sector", "trust + C(sector, Treatment('textile'))"])
def test_choice_model_with_a_factor_of_one_level(firms, formula):
    # patsy would drop the first two terms without a word and stop on the third with a traceback
    stops(lambda: build_design(firms.assign(sector="services"), choice(formula), FORMS),
          "The choice model cannot be fitted: sector takes the single value services among the 300 firms used, "
          "so its effect cannot be estimated.")


def test_choice_model_names_collinear_columns(firms):
    stops(lambda: analyse_choice(firms, choice("trust + trust_copy + asset"), FORMS),
          "The choice model cannot be fitted: trust and trust_copy are collinear (trust_copy = 2·trust for the "
          "300 firms used), so their effects cannot be told apart; leave one of them out.")
    dummies = firms.assign(services=(firms["sector"] == "services") * 1.0, textile=(firms["sector"] == "textile") * 1.0)
    stops(lambda: build_design(dummies, choice("trust + services + textile"), FORMS),
          "The choice model cannot be fitted: Intercept, services and textile are collinear (textile = 1 − services "
          "for the 300 firms used), so their effects cannot be told apart; leave one of them out.")


def test_choice_model_with_too_few_firms(firms):
    stops(lambda: build_design(firms.iloc[:7], choice(), FORMS),
          "The choice model cannot be fitted: 7 firms are used for its 8 parameters (4 in each of 2 equations), "
          "and it needs more firms than parameters.")
    rare = firms.drop(firms.index[firms["form"] == "venture"][3:])
    stops(lambda: build_design(rare, choice(), FORMS),
          f"The choice model cannot be fitted: only 3 of the {len(rare)} firms used have form venture, fewer than "
          "the 4 parameters of each equation; merge it with another answer or simplify the formula.")


def test_choice_model_with_a_regressor_missing_everywhere_or_for_a_whole_wave(firms):
    stops(lambda: build_design(firms.assign(trust=np.nan), choice(), FORMS),
          "The choice model cannot be fitted: trust is missing for every firm.")
    late_question = firms.assign(asset=firms["asset"].where(firms["wave"] != "w1"))
    stops(lambda: analyse_choice(late_question, choice(), FORMS),
          "The choice model cannot be fitted: asset is missing for every firm of wave w1, so that wave would "
          "silently drop out of the model.")
    scattered = firms.assign(trust=firms["trust"].where((firms["wave"] != "w2") | (firms.index % 2 == 0)),
                             asset=firms["asset"].where((firms["wave"] != "w2") | (firms.index % 2 == 1)))
    stops(lambda: build_design(scattered, choice(), FORMS),
          "The choice model cannot be fitted: no firm of wave w2 has every variable of the model (form, trust, "
          "asset and sector), so that wave would silently drop out of it.")


def test_a_singular_information_is_explained_not_reported_bare(firms):
    near = firms.assign(trust_copy=2 * firms["trust"] + 1e-9 * np.random.default_rng(5).normal(size=len(firms)))
    design = build_design(near, choice("trust + trust_copy"), FORMS)   # full rank, but not to the information
    error = stops(lambda: fit_mnl(design, choice("trust + trust_copy")),
                  "The choice model cannot be fitted: trust and trust_copy are nearly collinear (trust_copy = "
                  "2·trust for the 300 firms used), so their effects cannot be told apart; leave one of them out.")
    assert "singular" in str(error.__cause__)
    separated = firms.assign(form=np.where(firms["trust"] > 0, "venture", "market"))
    design = build_design(separated, choice("trust"), FORMS)
    with warnings.catch_warnings(), pytest.raises(ModelSpecificationError, match="separation"):
        warnings.simplefilter("ignore")
        fit_mnl(design, choice("trust"))


def test_separation_still_falls_back_to_firth_with_a_readable_note(firms):
    separated = firms.assign(form=np.where(firms["asset"] > 1, "venture", firms["form"].replace("venture", "licence")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = analyse_choice(separated, choice("trust + asset"), FORMS)
    assert results.warnings[0] == ("Separation: trust and asset separate form venture from market completely, so the "
                                   "maximum-likelihood estimates do not exist (Albert & Anderson 1984); every "
                                   "choice table uses Firth's penalised estimates instead.")
    assert set(results.tables["choice_mnl"]["estimator"]) == {"firth"}
    stops(lambda: analyse_choice(separated, choice("trust + asset", firth="never"), FORMS),
          "The choice model cannot be fitted: trust and asset separate form venture from market completely "
          "(separation), "
          "so the maximum-likelihood estimates do not exist (Albert & Anderson 1984), and choice.firth is 'never'; "
          "allow Firth's penalised estimates (firth: auto) or simplify the formula.")


def test_binary_logit_names_its_outcome(firms):
    spec = choice(binary_outcome="trust > 10", binary_name="equity")
    stops(lambda: analyse_choice(firms, spec, FORMS),
          "The logit of equity cannot be fitted: all 300 firms used have the same binary_outcome (no), so there is "
          "no other outcome to compare it with.")


def test_per_wave_models_name_the_wave(firms):
    spec = choice("trust + asset", cov_type="cluster")
    stops(lambda: wave_tables(firms.assign(trust=firms["trust"].where(firms["wave"] != "w2")), spec, FORMS),
          "The choice model of wave w2 cannot be fitted: trust is missing for every firm of wave w2.")
    stops(lambda: wave_tables(firms.assign(form=firms["form"].where(firms["wave"] != "w1", "licence")), spec, FORMS),
          "The choice model of wave w1 cannot be fitted: all 100 firms used have the same form (licence), so there "
          "is no other outcome to compare it with.")
    one_sector = firms.assign(sector=firms["sector"].where(firms["wave"] != "w3", "services"))
    stops(lambda: wave_tables(one_sector, choice(cov_type="cluster"), FORMS),
          "The choice model of wave w3 cannot be fitted: sector takes the single value services among the 100 firms "
          "used, so its effect cannot be estimated.")


def test_stability_tests_say_why_they_were_not_computed(firms):
    spec = choice("trust + asset", cov_type="cluster")
    no_venture_late = firms[~((firms["wave"] == "w3") & (firms["form"] == "venture"))]
    notes = stability_tests(no_venture_late, spec, FORMS, "wave", ["w1", "w2", "w3"])["note"]
    assert (notes == "not computed: no firm of wave w3 chose form venture, and a wave's own intercept of a form "
                     "nobody in it chose is infinite").all()
    missing = firms.assign(asset=firms["asset"].where(firms["wave"] != "w2"))
    notes = stability_tests(missing, spec, FORMS, "wave", ["w1", "w2", "w3"])["note"]
    assert (notes == "not computed: The choice model pooled over waves with wave effects cannot be fitted: asset "
                     "is missing for every firm of wave w2, so that wave would silently drop out of the model.").all()
    weighted = stability_tests(firms.assign(w=2.0), choice("trust + asset", weights="w"), FORMS, "wave",
                               ["w1", "w2", "w3"]).set_index("test")
    assert weighted.at["lr", "note"] == ("not computed: the LR test needs unweighted maximum likelihood, and the "
                                         "model has frequency weights (w)")


def test_performance_ols_explains_itself(firms):
    stops(lambda: fit_ols(firms, PerformanceSpec("performance", "trust + trust_copy + asset")),
          "The performance model of performance cannot be fitted: trust and trust_copy are collinear (trust_copy "
          "= 2·trust for the 300 firms used), so their effects cannot be told apart; leave one of them out.")
    stops(lambda: fit_ols(firms.assign(sector="textile"),
                          PerformanceSpec("performance", "trust + C(sector, Treatment('services'))")),
          "The performance model of performance cannot be fitted: sector takes the single value textile among the "
          "300 firms used, so its effect cannot be estimated.")
    stops(lambda: fit_ols(firms.iloc[:4], PerformanceSpec("performance", "trust + asset + C(sector) + trust:asset")),
          "The performance model of performance cannot be fitted: 4 firms are used for its 5 parameters, and it "
          "needs more firms than parameters.")
    stops(lambda: fit_ols(firms.assign(performance=firms["performance"].where(firms["wave"] != "w3")),
                          PerformanceSpec("performance", "trust")),
          "The performance model of performance cannot be fitted: performance is missing for every firm of wave "
          "w3, so that wave would silently drop out of the model.")


def test_a_text_level_only_in_unused_rows_is_no_column_of_zeros(firms):
    frame = firms.assign(sector=np.where(firms.index < 3, "mining", firms["sector"]))
    frame.loc[:2, "performance"] = np.nan
    table = fit_ols(frame, PerformanceSpec("performance", "trust + C(sector)")).coefficients
    assert list(table["term"]) == ["Intercept", "sector[textile]", "trust"]


def two_stage(frame, controls="trust + C(sector)", first_stage="trust + asset"):
    first = DesignBuilder(choice(first_stage), tuple(FORMS), "the misalignment first stage (the choice model)")
    spec = MisalignmentSpec("performance", controls, bootstrap_replicates=4, seed=1)
    data, _ = TwoStageData.build(frame, first, spec, np.arange(len(FORMS)))
    return misalignment_table(data, spec)


def test_misalignment_first_and_second_stages_explain_themselves(firms):
    stops(lambda: two_stage(firms.assign(asset=firms["asset"].where(firms["wave"] != "w1"))),
          "The misalignment first stage (the choice model) cannot be fitted: asset is missing for every firm of "
          "wave w1, so that wave would silently drop out of the model.")
    stops(lambda: two_stage(firms.assign(performance=np.nan)),
          "The misalignment second stage cannot be fitted: performance is missing for every firm.")
    stops(lambda: two_stage(firms, "trust + trust_copy"),
          "The misalignment second stage cannot be fitted: trust and trust_copy are collinear (trust_copy = 2·trust "
          "for the 300 firms used), so their effects cannot be told apart; leave one of them out.")
    stops(lambda: two_stage(firms.assign(sector="services")),
          "The misalignment second stage cannot be fitted: sector takes the single value services among the 300 "
          "firms used, so its effect cannot be estimated.")
    stops(lambda: two_stage(firms.assign(sector="services"), "trust", "trust + C(sector)"),
          "The misalignment first stage (the choice model) cannot be fitted: sector takes the single value services "
          "among the 300 firms used, so its effect cannot be estimated.")


def test_misalignment_second_stage_names_a_measure_collinear_with_the_controls(firms):
    # Weak regressors and a dominant form: every firm's predicted form is the market, so being
    # misaligned is having chosen anything else: 1 − the market's dummy among the controls.
    rng = np.random.default_rng(4)
    dominant = firms.assign(form=rng.choice(FORMS, len(firms), p=[0.7, 0.15, 0.15]))
    stops(lambda: two_stage(dominant, "trust + C(form)"),
          "The misalignment second stage (mismatch) cannot be fitted: Intercept, form[market] and misaligned are "
          "collinear (misaligned = 1 − form[market] for the 300 firms used), so their effects cannot be told "
          "apart; leave one of them out.")


def test_notes_of_tests_not_computed_are_sentences():
    assert not_computed(ModelSpecificationError("The choice model cannot be fitted: x.")) == \
        "not computed: The choice model cannot be fitted: x."
    assert not_computed(np.linalg.LinAlgError("Singular matrix")) == \
        "not computed: a matrix it needs is singular (Singular matrix)"
    assert not_computed(KeyError("trust")) == "not computed: KeyError: 'trust'"

"""The report's own wording in French and in English.

Headings, table titles, column labels, verdicts and the methods notes. Labels of the study's
questions and answers are the codebook's.
"""

from __future__ import annotations

VERDICTS = {"fr": {"supported": "confirmée", "contradicted": "contredite", "inconclusive": "non concluante",
                  "no effect": "absence d'effet"},
           "en": {"supported": "supported", "contradicted": "contradicted", "inconclusive": "inconclusive",
                  "no effect": "no effect"}}


REPORT_TEXT = {
    "fr": {
        "summary": "Synthèse",
        "sample": "Échantillon",
        "measurement": "Mesure",
        "choice": "Modèle de choix : {outcome}",
        "performance": "Performance",
        "waves": "Vagues et panel",
        "all_forms": "Toute réponse (part des changements vers une modalité plus loin dans l'ordre de la variable)",
        "table_choice_stability": "Stabilité du modèle de choix entre les vagues",
        "table_panel_transitions": "Probabilités de transition d'une vague à la suivante (chaîne de Markov)",
        "table_panel_deepening": ("Les réponses avancent-elles dans l'ordre de la variable ? Changements vers une "
                                  "modalité plus loin"),
        "methods_notes": "Notes de méthode",
        "provenance": "Provenance",
        "sample_summary": (
            "{analysed} réponses analysées sur {received} reçues ({excluded} exclues), "
            "en {waves} vague(s) d'enquête."
        ),
        "table_form_by_sector": "{outcome} selon {group}",
        "table_sample_flow": "Réponses reçues, exclues et analysées par vague",
        "table_reliability": "Fiabilité des échelles",
        "table_choice_mnl": "Logit multinomial : coefficients",
        "table_choice_fit": "Logit multinomial : qualité d'ajustement",
        "table_choice_ame": "Logit multinomial : effets marginaux moyens sur la probabilité de chaque modalité",
        "table_hypotheses_summary": "Hypothèses de l'étude : verdicts",
        "table_descriptives": ("Statistiques descriptives selon {outcome} : moyenne (écart-type) ou "
                               "effectif (% de la colonne) ; x : case masquée (sous le seuil de diffusion)"),
        "table_hypotheses": "Hypothèses de l'étude : chaque vérification, son estimation et son verdict",
        "table_performance_contrasts": "Performance : écarts entre formes (p ajustées de Holm)",
        "table_importance": "Importance relative : décomposition de Shapley du R²",
        "table_choice_tests": ("Logit multinomial : tests (Wald, rapport de vraisemblance, regroupement de modalités, "
                               "IIA)"),
        "table_choice_small_sample": "Petits échantillons : événements par paramètre et séparation",
        "table_choice_ordered_fit": "Logit ordonné : qualité d'ajustement (en-tête d'ologit)",
        "table_choice_ordered": "Logit ordonné : coefficients et seuils",
        "table_choice_ordered_ame": "Logit ordonné : effets marginaux moyens sur la probabilité de chaque modalité",
        "table_choice_ordered_brant": "Logit ordonné : test de Brant des droites parallèles",
        "table_choice_equity": "Logit binaire : coefficients",
        "table_choice_equity_ame": "Logit binaire : effets marginaux moyens",
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
        "choice": "Choice model: {outcome}",
        "performance": "Performance",
        "waves": "Waves and panel",
        "all_forms": "Any answer (share of changes toward an answer further along the outcome's order)",
        "table_choice_stability": "Stability of the choice model across waves",
        "table_panel_transitions": "Transition probabilities from one wave to the next (Markov chain)",
        "table_panel_deepening": "Do answers move along the outcome's order? Changes toward an answer further along",
        "methods_notes": "Methods notes",
        "provenance": "Provenance",
        "sample_summary": (
            "{analysed} responses analysed out of {received} received ({excluded} excluded), "
            "over {waves} survey wave(s)."
        ),
        "table_form_by_sector": "{outcome} by {group}",
        "table_sample_flow": "Responses received, excluded and analysed by wave",
        "table_reliability": "Scale reliability",
        "table_choice_mnl": "Multinomial logit: coefficients",
        "table_choice_fit": "Multinomial logit: goodness of fit",
        "table_choice_ame": "Multinomial logit: average marginal effects on the probability of each category",
        "table_hypotheses_summary": "The study's hypotheses: verdicts",
        "table_descriptives": ("Descriptive statistics by {outcome}: mean (SD) or count (% of the column); "
                               "x: suppressed cell (under the disclosure minimum)"),
        "table_hypotheses": "The study's hypotheses: each check with its estimate and verdict",
        "table_performance_contrasts": "Performance: differences between forms (Holm-adjusted p)",
        "table_importance": "Relative importance: Shapley decomposition of R²",
        "table_choice_tests": "Multinomial logit: tests (Wald, likelihood ratio, combining categories, IIA)",
        "table_choice_small_sample": "Small samples: events per parameter and separation",
        "table_choice_ordered_fit": "Ordered logit: goodness of fit (ologit's header)",
        "table_choice_ordered": "Ordered logit: coefficients and cut points",
        "table_choice_ordered_ame": "Ordered logit: average marginal effects on the probability of each category",
        "table_choice_ordered_brant": "Ordered logit: Brant test of parallel lines",
        "table_choice_equity": "Binary logit: coefficients",
        "table_choice_equity_ame": "Binary logit: average marginal effects",
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
        "rule": "Règle", "p_adjusted": "p ajusté", "effect_measure": "Mesure d'effet", "effect": "Effet",
        "effect_low": "Effet, IC (bas)", "effect_high": "Effet, IC (haut)", "p_equivalence": "p (équivalence)",
        "odds_ratio": "Rapport de cotes", "or_conf_low": "RC, IC 95 % (bas)", "or_conf_high": "RC, IC 95 % (haut)",
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
        "rule": "Rule", "p_adjusted": "Adjusted p", "effect_measure": "Effect measure", "effect": "Effect",
        "effect_low": "Effect, CI (low)", "effect_high": "Effect, CI (high)", "p_equivalence": "p (equivalence)",
        "odds_ratio": "Odds ratio", "or_conf_low": "OR, 95% CI (low)", "or_conf_high": "OR, 95% CI (high)",
    },
}


NOTES_TEXT = {
    "fr": {
        "exclusions": ("Exclusions : chaque réponse exclue l'est pour la première règle enfreinte, "
                       "dans l'ordre {rules}."),
        "scales": ("Échelles : items inversés recodés (min + max − x) après passage des codes de non-réponse "
                   "en valeurs manquantes ; score = moyenne des items répondus si le minimum d'items est atteint ; "
                   "alpha de Cronbach sur les réponses complètes."),
        "choice": ("Modèle de choix de « {outcome} » : logit multinomial (maximum de vraisemblance, Newton–Raphson), "
                   "base « {base} » ; erreurs types {cov_type}{cluster} ; {n:.0f} réponses utilisées, "
                   "{missing:.0f} écartées pour valeurs manquantes."),
        "cluster": " par grappe ({cluster}, {n_clusters:.0f} grappes ; facteur G/(G−1) comme Stata)",
        "not_converged": "ATTENTION : l'estimation du logit multinomial n'a pas convergé ; ne pas interpréter.",
        "performance": ("Performance : MCO de « {outcome} », erreurs types {cov_type}, intervalles de confiance "
                        "de Student ; {n:.0f} réponses utilisées, {missing:.0f} écartées pour valeurs manquantes."),
        "centred": ("Covariables centrées sur leur moyenne parmi les unités de chaque modèle de performance et "
                    "de désalignement (la constante est la performance d'une unité moyenne) : {names}."),
    },
    "en": {
        "exclusions": ("Exclusions: each excluded response is excluded for the first rule it breaks, "
                       "in the order {rules}."),
        "scales": ("Scales: reverse-coded items recoded as (min + max − x) after missing-value codes became "
                   "missing; score = mean of the answered items when the minimum number is answered; Cronbach's "
                   "alpha on complete responses."),
        "choice": ("Choice model of '{outcome}': multinomial logit (maximum likelihood, Newton–Raphson), "
                   "base '{base}'; {cov_type} standard errors{cluster}; {n:.0f} responses used, {missing:.0f} left "
                   "out for missing values."),
        "cluster": " clustered by {cluster} ({n_clusters:.0f} clusters; Stata's G/(G−1) factor)",
        "not_converged": "WARNING: the multinomial logit did not converge; do not interpret it.",
        "performance": ("Performance: OLS of '{outcome}', {cov_type} standard errors, Student-t confidence "
                        "intervals; {n:.0f} responses used, {missing:.0f} left out for missing values."),
        "centred": ("Covariates centred at their mean over the units of each performance and misalignment model (the "
                    "intercept is the performance of an average unit): {names}."),
    },
}


# The Measurement section (alliancegov.report.measurement): table titles, column headers, and the
# note under each table saying what its tests and intervals are.
MEASUREMENT_TITLES = {
    "fr": {
        "table_measurement_flags": "Échelles à lire avec prudence",
        "table_measurement_correlations": "Moyennes, écarts-types et corrélations",
        "table_measurement_reliability": "Fiabilité et validité convergente des échelles",
        "table_measurement_validity": "Items et paires d'échelles signalés",
        "table_measurement_loadings": "Analyse factorielle confirmatoire : saturations",
        "table_measurement_fit": "Analyse factorielle confirmatoire : ajustement",
        "table_measurement_invariance": "Invariance de la mesure entre groupes (measurement.invariance.groups)",
        "table_measurement_common_method": "Variance de méthode commune",
        "table_measurement_nonresponse": "Non-réponse et attrition du panel",
        "table_measurement_vif": "Colinéarité des régresseurs (facteurs d'inflation de la variance)",
    },
    "en": {
        "table_measurement_flags": "Scales to read with care",
        "table_measurement_correlations": "Means, standard deviations and correlations",
        "table_measurement_reliability": "Reliability and convergent validity of the scales",
        "table_measurement_validity": "Items and pairs of scales flagged",
        "table_measurement_loadings": "Confirmatory factor analysis: loadings",
        "table_measurement_fit": "Confirmatory factor analysis: fit",
        "table_measurement_invariance": "Measurement invariance across groups (measurement.invariance.groups)",
        "table_measurement_common_method": "Common-method variance",
        "table_measurement_nonresponse": "Nonresponse and panel attrition",
        "table_measurement_vif": "Collinearity of the regressors (variance inflation factors)",
    },
}
for _language, _titles in MEASUREMENT_TITLES.items():
    REPORT_TEXT[_language].update(_titles)


MEASUREMENT_COLUMNS = {
    "fr": {
        "scale": "Échelle", "other_scale": "Autre échelle", "criterion": "Critère", "value": "Valeur",
        "threshold": "Seuil", "comparison": "Comparaison", "note": "Note", "alpha": "Alpha",
        "composite_reliability": "Fiabilité composite", "ave": "AVE", "measure": "Mesure", "item": "Item",
        "statistic": "Statistique", "method": "Méthode", "factor": "Facteur", "estimate": "Estimation",
        "std_error": "Erreur type", "conf_low": "IC 95 % (bas)", "conf_high": "IC 95 % (haut)",
        "std_all": "Saturation standardisée", "p_value": "p", "grouping": "Groupes", "model": "Modèle",
        "chisq": "χ²", "df": "ddl", "delta_chisq": "Δχ²", "delta_df": "Δddl", "p_delta": "p (Δχ²)", "cfi": "CFI",
        "delta_cfi": "ΔCFI", "rmsea": "RMSEA", "delta_rmsea": "ΔRMSEA", "held": "Tenue", "test": "Test",
        "quantity": "Quantité", "variable_a": "Variable", "variable_b": "Variable (2)", "analysis": "Analyse",
        "wave": "Vague", "variable": "Variable", "n_a": "n (a)", "n_b": "n (b)", "mean_a": "Moyenne (a)",
        "mean_b": "Moyenne (b)", "term": "Terme", "gvif": "GVIF", "criterion_vif": "GVIF^(1/ddl)",
        "warning": "Avertissement",
    },
    "en": {
        "scale": "Scale", "other_scale": "Other scale", "criterion": "Criterion", "value": "Value",
        "threshold": "Threshold", "comparison": "Comparison", "note": "Note", "alpha": "Alpha",
        "composite_reliability": "Composite reliability", "ave": "AVE", "measure": "Measure", "item": "Item",
        "statistic": "Statistic", "method": "Method", "factor": "Factor", "estimate": "Estimate",
        "std_error": "Std. error", "conf_low": "95% CI (low)", "conf_high": "95% CI (high)",
        "std_all": "Standardised loading", "p_value": "p", "grouping": "Groups", "model": "Model", "chisq": "χ²",
        "df": "df", "delta_chisq": "Δχ²", "delta_df": "Δdf", "p_delta": "p (Δχ²)", "cfi": "CFI",
        "delta_cfi": "ΔCFI", "rmsea": "RMSEA", "delta_rmsea": "ΔRMSEA", "held": "Holds", "test": "Test",
        "quantity": "Quantity", "variable_a": "Variable", "variable_b": "Variable (2)", "analysis": "Analysis",
        "wave": "Wave", "variable": "Variable", "n_a": "n (a)", "n_b": "n (b)", "mean_a": "Mean (a)",
        "mean_b": "Mean (b)", "term": "Term", "gvif": "GVIF", "criterion_vif": "GVIF^(1/df)", "warning": "Warning",
    },
}


MEASUREMENT_NOTES = {
    "fr": {
        "measurement_flags": ("Échelle signalée : alpha ou fiabilité composite inférieurs à 0,70, variance moyenne "
                              "extraite (AVE) inférieure à 0,50, ou invariance scalaire non établie entre les groupes "
                              "de measurement.invariance (ne pas comparer ses moyennes entre ces groupes). Les "
                              "vérifications des hypothèses qui l'utilisent portent la mention dans leur note."),
        "measurement_correlations": "",
        "measurement_reliability": ("Alpha de Cronbach (réponses complètes sur l'échelle) ; fiabilité composite "
                                    "et AVE (moyenne des saturations standardisées au carré, Fornell & Larcker 1981) "
                                    "tirées de l'analyse factorielle confirmatoire ; la forme de la fiabilité "
                                    "composite est nommée dans measurement_validity.csv."),
        "measurement_validity": ("Saturations standardisées inférieures au seuil ; saturations croisées : indice "
                                 "de modification (test du score, χ²(1)) significatif après correction de "
                                 "Bonferroni, valeur = saturation attendue standardisée ; paires d'échelles dont "
                                 "le HTMT dépasse le seuil ou dont la corrélation dépasse la plus petite √AVE "
                                 "(Fornell & Larcker)."),
        "measurement_loadings": ("Saturations non standardisées (premier item de chaque échelle fixé à 1), erreurs "
                                 "types issues de l'information attendue, intervalles de Wald à 95 %, saturations "
                                 "complètement standardisées."),
        "measurement_fit": ("Maximum de vraisemblance (normal), suppression des réponses incomplètes ; RMSEA avec "
                            "son intervalle à 90 % ; SRMR."),
        "measurement_invariance": ("Modèles multigroupes configural, métrique (saturations égales) et scalaire "
                                   "(saturations et constantes égales), toutes échelles ensemble puis chacune seule ; "
                                   "test du Δχ² ; une étape échoue quand le CFI baisse de plus de 0,01 et le RMSEA "
                                   "augmente de plus de 0,015 (Chen 2007)."),
        "measurement_common_method": ("Test à un facteur de Harman (part de variance du premier facteur non "
                                      "tourné ; test peu sensible : une part inférieure à la moitié ne prouve pas "
                                      "l'absence de biais, Podsakoff et al. 2003) ; facteur de méthode latent non "
                                      "mesuré comparé au modèle des seuls traits (test du Δχ²) ; correction par "
                                      "variable marqueur de Lindell & Whitney (2001) si un marqueur est configuré."),
        "measurement_nonresponse": ("Taux de réponse AAPOR RR1 (entretiens complets / base de sondage, toute la base "
                                    "supposée éligible) ; premiers contre derniers tiers des répondants de chaque "
                                    "vague selon l'heure de soumission (Armstrong & Overton 1977), test t de Welch "
                                    "(différence b − a, IC à 95 %) ou χ² de Pearson ; répondants réinterrogés à la "
                                    "vague suivante contre répondants perdus, mêmes tests."),
        "measurement_vif": ("VIF des régresseurs des modèles de choix et de performance ; pour un facteur, VIF "
                            "généralisé de Fox & Monette (1992), comparé au seuil par GVIF^(1/ddl)."),
        "wave_means": ("Invariance scalaire entre vagues non établie pour : {scales}. Leurs moyennes ne sont pas "
                       "comparables d'une vague à l'autre."),
    },
    "en": {
        "measurement_flags": ("A scale is flagged when its alpha or composite reliability is below .70, its average "
                              "variance extracted (AVE) below .50, or scalar invariance across the groups of "
                              "measurement.invariance is not supported (do not compare its means across those "
                              "groups). The hypothesis checks that use it carry the flag in their note."),
        "measurement_correlations": "",
        "measurement_reliability": ("Cronbach's alpha (responses complete on the scale); composite reliability and "
                                    "AVE (mean squared standardised loading, Fornell & Larcker 1981) from the "
                                    "confirmatory factor analysis; measurement_validity.csv names the form of the "
                                    "composite reliability."),
        "measurement_validity": ("Standardised loadings below the cut; cross-loadings: modification index (score "
                                 "test, χ²(1)) significant after a Bonferroni correction, value = standardised "
                                 "expected loading; pairs of scales whose HTMT exceeds the cut or whose correlation "
                                 "exceeds the smaller √AVE (Fornell & Larcker)."),
        "measurement_loadings": ("Unstandardised loadings (each scale's first item fixed to 1), standard errors from "
                                 "the expected information, 95% Wald intervals, completely standardised loadings."),
        "measurement_fit": ("Normal-theory maximum likelihood, listwise deletion; RMSEA with its 90% interval; "
                            "SRMR."),
        "measurement_invariance": ("Configural, metric (equal loadings) and scalar (equal loadings and intercepts) "
                                   "multigroup models, all scales together then each alone; Δχ² test; a step fails "
                                   "when CFI falls by more than .01 and RMSEA rises by more than .015 (Chen 2007)."),
        "measurement_common_method": ("Harman's single-factor test (variance share of the first unrotated factor; "
                                      "an insensitive test: a share under one half does not show the absence of "
                                      "method bias, Podsakoff et al. 2003); an unmeasured latent method factor "
                                      "against the trait-only model (Δχ² test); Lindell & Whitney's (2001) "
                                      "marker-variable correction when a marker is configured."),
        "measurement_nonresponse": ("AAPOR RR1 response rate (completed interviews / frame size, the whole frame "
                                    "taken as eligible); first against last third of each wave's respondents by "
                                    "submission time (Armstrong & Overton 1977), Welch t-test (difference b − a, "
                                    "95% CI) or Pearson χ²; respondents re-interviewed in the next wave against those "
                                    "lost, same tests."),
        "measurement_vif": ("VIFs of the choice and performance models' regressors; for a factor, Fox & Monette's "
                            "(1992) generalised VIF, compared with the threshold through GVIF^(1/df)."),
        "wave_means": ("Scalar invariance across waves is not supported for: {scales}. Their means are not "
                       "comparable from one wave to the next."),
    },
}


MEASUREMENT_VALUES = {
    "fr": {"True": "oui", "False": "non", "alpha": "alpha", "composite_reliability": "fiabilité composite",
           "ave": "AVE", "scalar_invariance": "invariance scalaire", "wave": "vague", "sector": "secteur",
           "configural": "configural", "metric": "métrique", "scalar": "scalaire", "all": "toutes",
           "fornell_larcker": "Fornell–Larcker", "htmt": "HTMT", "std_loading": "saturation standardisée",
           "cross_loading": "saturation croisée"},
    "en": {"True": "yes", "False": "no", "alpha": "alpha", "composite_reliability": "composite reliability",
           "ave": "AVE", "scalar_invariance": "scalar invariance", "wave": "wave", "sector": "sector",
           "configural": "configural", "metric": "metric", "scalar": "scalar", "all": "all",
           "fornell_larcker": "Fornell–Larcker", "htmt": "HTMT", "std_loading": "standardised loading",
           "cross_loading": "cross-loading"},
}


# The hypotheses tables' notes: how checks become verdicts (alliancegov.hypotheses.verdicts.hypothesis_verdict) and
# what their p-values and intervals are.
HYPOTHESES_TEXT = {
    "fr": {
        "all": ("toutes (all) : contredite si une vérification l'est ; sinon absence d'effet si une vérification "
                "montre l'absence d'effet ; sinon confirmée si toutes le sont ; sinon non concluante"),
        "any": ("une (any) : confirmée si une vérification l'est et aucune n'est contredite ; contredite si une "
                "l'est et aucune n'est confirmée ; absence d'effet si toutes la montrent ; sinon non concluante"),
        "majority": "majorité : le verdict de plus de la moitié des vérifications ; sinon non concluante",
        "summary": "Règles d'agrégation des vérifications en verdict — {rules}. Les verdicts lisent {verdict_on}.",
        "checks": ("p : test propre à chaque vérification (la colonne inference du fichier hypotheses.csv dit "
                   "lequel : erreurs types groupées par unité quand les unités reviennent d'une vague à l'autre) ; "
                   "p ajusté : {verdict_on} ; IC à 95 % ; effet : d ou h de Cohen, rapport de cotes, rapport de "
                   "risques instantanés ou effet marginal moyen, avec son IC. Une vérification dotée d'une marge "
                   "d'équivalence se lit « absence d'effet » quand deux tests unilatéraux (TOST) la montrent."),
    },
    "en": {
        "all": ("all: contradicted if any check is; else no effect if any check shows no effect; else supported "
                "if every check is; else inconclusive"),
        "any": ("any: supported if a check is and none is contradicted; contradicted if a check is and none is "
                "supported; no effect if every check shows it; else inconclusive"),
        "majority": "majority: the verdict more than half of the checks share; else inconclusive",
        "summary": "How checks make a hypothesis' verdict — {rules}. The verdicts read {verdict_on}.",
        "checks": ("p: each check's own test (the inference column of hypotheses.csv says which: SEs clustered by "
                   "unit where units repeat across waves); adjusted p: {verdict_on}; 95% CIs; effect: Cohen's "
                   "d or h, odds ratio, hazard ratio or average marginal effect, with its CI. A check with an "
                   "equivalence margin reads \"no effect\" when two one-sided tests (TOST) show it."),
    },
}


# A section with nothing to show is left out of the report with one sentence saying why
# (alliancegov.report.sections.left_out_sections), never shown as a heading over empty tables.
LEFT_OUT_TEXT = {
    "fr": {
        "measurement": ("Mesure : section omise, le livre de codes ne définit aucune échelle et la configuration "
                        "n'a pas de section measurement."),
        "choice": "Modèle de choix : section omise, la configuration n'estime aucun modèle du choix.",
        "performance": ("Performance : section omise, la configuration n'a pas de section performance "
                        "(aucun modèle de performance n'est estimé)."),
        "waves": ("Vagues et panel : section omise, la feuille des vagues n'en compte qu'une ; il n'y a rien à "
                  "comparer d'une vague à l'autre."),
    },
    "en": {
        "measurement": ("Measurement: section left out, as the codebook defines no scale and the configuration has "
                        "no measurement section."),
        "choice": "Choice model: section left out, as the configuration fits no model of the choice.",
        "performance": ("Performance: section left out, as the configuration has no performance section (no "
                        "performance model is fitted)."),
        "waves": ("Waves and panel: section left out, as the waves sheet lists a single wave; there is nothing to "
                  "compare between waves."),
    },
}

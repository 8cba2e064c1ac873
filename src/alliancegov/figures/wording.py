"""The fixed wording of every figure, in French and in English.

Labels that come from the study (questions, answers, scales) are the codebook's; this catalogue
holds only the figures' own words: titles, axes, notes.
"""

from __future__ import annotations

TEXT = {
    "share_of_responses": {"fr": "Part des réponses", "en": "Share of responses"},
    "score": {"fr": "Score", "en": "Score"},
    "coefficient_axis": {
        "fr": "Coefficient (log du rapport des chances par rapport à « {base} ») et IC à 95 %",
        "en": "Coefficient (log-odds relative to “{base}”) with 95% CI",
    },
    "wave": {"fr": "Vague {wave}", "en": "Wave {wave}"},
    "level_separator": {"fr": " : ", "en": ": "},
    "group_size": {"fr": "{label} (n = {n})", "en": "{label} (n = {n})"},
    "reliability_axis": {"fr": "Coefficient de fiabilité", "en": "Reliability coefficient"},
    "alpha_with_ci": {"fr": "Alpha de Cronbach et IC à {level} %", "en": "Cronbach's alpha with {level}% CI"},
    "omega": {"fr": "Oméga total de McDonald", "en": "McDonald's omega total"},
    "reliability_threshold": {"fr": "Seuil usuel de {value}", "en": "Usual threshold of {value}"},
    "likert_axis": {"fr": "Part des réponses valides", "en": "Share of valid answers"},
    "likert_note": {
        "fr": "Items inversés marqués {mark} : réponses telles que données, avant recodage. "
              "Non-réponses exclues ; catégorie neutre centrée sur 0.",
        "en": "Reverse-coded items marked {mark}: answers as given, before recoding. "
              "Missing answers left out; neutral category centred on 0.",
    },
    "reverse_mark": {"fr": "(I)", "en": "(R)"},
    "ame_axis": {
        "fr": "Variation de la probabilité (points de probabilité) et IC à 95 %",
        "en": "Change in probability (probability points) with 95% CI",
    },
    "predicted_axis": {"fr": "Probabilité prédite", "en": "Predicted probability"},
    "misalignment_axis": {"fr": "Coefficient (unités de l'indice par unité de la mesure)",
                          "en": "Coefficient (index units per unit of the measure)"},
    "misalignment_gap_axis": {"fr": "Performance perdue par rapport à la meilleure forme prédite (unités de l'indice)",
                              "en": "Performance forgone against the best predicted form (index units)"},
    "misalignment_terms": {
        "fr": {"misaligned": "Désalignement (0/1)", "excess_hierarchy": "Excès de hiérarchie",
               "insufficient_hierarchy": "Hiérarchie insuffisante", "misfit": "Inadéquation (1 − P)"},
        "en": {"misaligned": "Misaligned (0/1)", "excess_hierarchy": "Excess hierarchy",
               "insufficient_hierarchy": "Insufficient hierarchy", "misfit": "Misfit (1 − P)"},
    },
    "misalignment_models": {
        "fr": {"misfit": "mesure principale", "mismatch": "secondaire", "direction": "secondaire, sens",
               "uncorrected": "régressions par forme sans correction", "lee": "correction de Lee",
               "dmf": "correction de Dubin–McFadden (DMF)", "dmf0": "DMF restreinte (DMF0)",
               "dmf2": "DMF normalisée (DMF2)", "dahl": "correction de Dahl"},
        "en": {"misfit": "primary", "mismatch": "secondary", "direction": "secondary, direction",
               "uncorrected": "per-form regressions, uncorrected", "lee": "Lee correction",
               "dmf": "Dubin–McFadden correction (DMF)", "dmf0": "restricted DMF (DMF0)",
               "dmf2": "normalised DMF (DMF2)", "dahl": "Dahl correction"},
    },
    "overlap_panel": {"fr": "Probabilité de : {form}", "en": "Probability of: {form}"},
    "overlap_axis": {"fr": "Probabilité prédite (5e–95e, 25e–75e centiles, médiane)",
                     "en": "Predicted probability (5th–95th, 25th–75th percentiles, median)"},
    "km_axis": {"fr": "Part encore sans partenariat", "en": "Share not yet in partnership"},
    "km_time": {"fr": "Mois depuis le premier contrat", "en": "Months since the first contract"},
    "alluvial_axis": {"fr": "Répondants", "en": "Respondents"},
    "alluvial_note": {
        "fr": "Barres : répondants de chaque vague ; bandes : répondants interrogés à deux vagues consécutives. "
              "Effectifs inférieurs à {minimum} non affichés.",
        "en": "Bars: respondents in each wave; bands: respondents interviewed in two consecutive waves. "
              "Counts under {minimum} not shown.",
    },
    "alluvial_note_linked": {
        "fr": "Répondants interrogés à deux vagues consécutives. Effectifs inférieurs à {minimum} non affichés.",
        "en": "Respondents interviewed in two consecutive waves. Counts under {minimum} not shown.",
    },
    # power planning (alliancegov.power)
    "power_title": {"fr": "Puissance selon la taille de l'échantillon (simulée aux estimations actuelles)",
              "en": "Power by sample size (simulated at the current estimates)"},
    "power_x": {"fr": "Entreprises dans la vague (échelle logarithmique)", "en": "Firms in the wave (log scale)"},
    "power_y": {"fr": "Puissance et IC de Clopper–Pearson à 95 %", "en": "Power with 95% Clopper–Pearson CI"},
    "power_target": {"fr": "Puissance visée : {value}", "en": "Target power: {value}"},
    "power_ame": {"fr": "EMM : {term} → P({outcome})", "en": "AME: {term} → P({outcome})"},
    "power_all": {"fr": "Toutes les vérifications simulées de {hypothesis}", "en": "All simulated {hypothesis} checks"},
    "power_note": {"fr": "Détecté : significatif au seuil de {alpha} dans le sens attendu, test du pipeline.",
             "en": "Detected: significant at {alpha} in the expected direction, with the pipeline's test."},
    "power_note_bootstrap": {"fr": " H7 : bootstrap des deux étapes à {b} rééchantillonnages par réplication "
                             "(légèrement conservateur).",
                       "en": " H7: two-stage bootstrap with {b} resamples per replicate (slightly conservative)."},
}


def text(key: str, language: str, **fields: object) -> str:
    """The figure wording ``key`` in ``language`` with ``fields`` filled in.

    Parameters
    ----------
    key : str
        An entry of :data:`TEXT`.
    language : {"fr", "en"}
    **fields : object
        Values of the entry's ``{placeholders}``.

    Returns
    -------
    str
    """
    return TEXT[key][language].format(**fields)

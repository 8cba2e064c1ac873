"""The misalignment tables of the report's Performance section: shown without their bookkeeping
columns, each with its note in the report's language."""

from __future__ import annotations

import pandas as pd

from alliancegov.report.text import COLUMN_LABELS, REPORT_TEXT

# The wording of the misalignment tables, in French and in English (beside the code that uses it: text.py
# holds the rest of the report's wording): table titles and the note under each table saying what its
# estimates, intervals and tests are.
MISALIGNMENT_TEXT = {
    "fr": {
        "table_misalignment": "Désalignement et performance : inadéquation (principale), écart 0/1 (secondaire)",
        "table_misalignment_first_stage": "Première étape : force des variables exclues, précision de la prédiction",
        "table_misalignment_switching": "Régressions à changement de régime : une équation de performance par forme",
        "table_misalignment_counterfactual": "Performance contrefactuelle sous chaque forme et performance perdue",
        "table_form_effects": "Effets de la forme sous sélection sur observables (IPW, AIPW)",
        "note_misalignment": (
            "MCO de la performance sur les contrôles et une mesure du désalignement. Principale : l'inadéquation, 1 − "
            "probabilité prédite de la forme choisie ; secondaires : le désalignement 0/1 et son sens, qui reposent "
            "sur la prédiction modale (précision : table de première étape). Covariables centrées. Intervalles et p "
            "corrigés du biais (BC), bootstrap des unités réestimant les deux étapes ({n_ok} "
            "rééchantillonnages) ; p = (1 + #)/(B + 1), jamais 0 ; statistique : quantile normal de p."),
        "note_misalignment_first_stage": (
            "Test de Wald conjoint (covariance groupée par unité) que les variables exclues des équations de "
            "performance, qui identifient les termes de sélection, sont nulles dans le modèle de choix ; R² de "
            "comptage et exactitude en validation croisée face à la classe majoritaire."),
        "note_misalignment_switching": (
            "Un MCO par forme sur ses unités, avec ses coefficients et ses termes de sélection signés comme "
            "selmlog (Bourguignon, Fournier et Gurgand 2007) : lee = −φ(Φ⁻¹(P))/P, coefficient σρ (positif : les "
            "unités de la forme y font moins bien qu'une unité quelconque aux mêmes régresseurs) ; dmf[f] "
            "= E[η_f − γ | forme choisie] (coefficient propre positif : un goût inobservé pour sa forme va avec une "
            "meilleure performance) ; dmf0 sans le terme propre ; dmf2 en transformées normales. « selection terms "
            "(joint) » : test de Wald bootstrap que les termes de la forme sont nuls. Intervalles et p BC du "
            "bootstrap des deux étapes ({n_ok} rééchantillonnages) ; covariables centrées."),
        "note_misalignment_counterfactual": (
            "Performance prédite de chaque unité sous chaque forme (termes de sélection à leur moyenne nulle) : "
            "potential_mean en est la moyenne, ate l'écart à « {base} » (testé), mean_gap la performance "
            "perdue face à la meilleure forme prédite, share_in_best_form la part déjà dans celle-ci (« all » : "
            "toutes), share_predicted_best la part pour qui la forme est la meilleure. Pas de p pour écarts, parts et "
            "moyennes (un maximum est positif par construction). Intervalles BC, percentiles pour écarts et parts "
            "(un maximum n'est pas lisse) ; {n_ok} rééchantillonnages."),
        "note_form_effects": (
            "Moyennes potentielles (pomean) et écarts à « {base} » (ate) sous sélection sur observables : "
            "IPW (poids normalisés) et AIPW doublement robuste (Cattaneo 2010), comme teffects de Stata ; propension "
            "du logit multinomial du choix. {n_trimmed} unités sous le seuil de probabilité d'une forme exclues "
            "({n} utilisées). Erreurs types par les fonctions d'influence, groupées par unité ; tests z."),
    },
    "en": {
        "table_misalignment": "Misalignment and performance: the misfit (primary), the 0/1 mismatch (secondary)",
        "table_misalignment_first_stage": "First stage: strength of the excluded variables, accuracy of the prediction",
        "table_misalignment_switching": "Switching regressions: one performance equation per form",
        "table_misalignment_counterfactual": "Counterfactual performance under each form and the performance forgone",
        "table_form_effects": "Effects of the form under selection on observables (IPW, AIPW)",
        "note_misalignment": (
            "OLS of performance on the controls and one misalignment measure. Primary: the misfit, 1 − the predicted "
            "probability of the chosen form; secondary: the 0/1 mismatch and its direction, which rest on the modal "
            "prediction (accuracy: first-stage table). Covariates centred. Bias-corrected (BC) intervals and "
            "p-values from a bootstrap of the units refitting both stages ({n_ok} resamples); p = (1 + #)/(B + 1), "
            "never 0; statistic: the normal quantile of p."),
        "note_misalignment_first_stage": (
            "Joint Wald test (covariance clustered by unit) that the variables excluded from the performance "
            "equations, which identify the selection terms, are 0 in the choice model; count R² and cross-validated "
            "accuracy against the majority class."),
        "note_misalignment_switching": (
            "One OLS per form on its units, with its own coefficients and selection terms signed as selmlog signs "
            "them (Bourguignon, Fournier & Gurgand 2007): lee = −φ(Φ⁻¹(P))/P, coefficient σρ (positive: the units in "
            "the form do worse in it than a random unit with the same regressors would); dmf[f] = E[η_f − γ | form "
            "chosen] (a positive own coefficient: an unobserved taste for one's form goes with better performance); "
            "dmf0 without the own term; dmf2 with normal transforms. 'selection terms (joint)': bootstrap Wald test "
            "that the form's terms are 0. BC intervals and p-values, two-stage bootstrap ({n_ok} resamples); "
            "covariates centred."),
        "note_misalignment_counterfactual": (
            "Every unit's performance predicted under every form (selection terms at their mean 0): potential_mean "
            "is its mean, ate the difference from '{base}' (tested), mean_gap the performance forgone "
            "against the best predicted form, share_in_best_form the share already in it ('all': every unit), "
            "share_predicted_best the share for which the form is best. No p-values for gaps, shares and means (a "
            "maximum is positive by construction). BC intervals, percentile ones for gaps and shares (a maximum is not "
            "smooth); {n_ok} resamples."),
        "note_form_effects": (
            "Potential-outcome means (pomean) and differences from '{base}' (ate) under selection on "
            "observables: IPW (normalised weights) and doubly robust AIPW (Cattaneo 2010), as Stata's teffects; "
            "propensity from the choice model's multinomial logit. {n_trimmed} units below the probability "
            "threshold of some form left out ({n} used). Influence-function SEs clustered by unit; z tests."),
    },
}
for _language, _titles in MISALIGNMENT_TEXT.items():
    REPORT_TEXT[_language].update({key: value for key, value in _titles.items() if key.startswith("table_")})
COLUMN_LABELS["fr"].update({"model": "Modèle", "role": "Rôle", "method": "Méthode", "contrast": "Contraste",
                            "variables": "Variables"})
COLUMN_LABELS["en"].update({"model": "Model", "role": "Role", "method": "Method", "contrast": "Contrast",
                            "variables": "Variables"})


MISALIGNMENT_KEYS = ("misalignment", "misalignment_first_stage", "misalignment_switching",
                     "misalignment_counterfactual", "form_effects")
BOOKKEEPING = ("note", "n_ok", "share_failed", "outcome", "n_clusters", "n_trimmed")


def _numeric(table: pd.DataFrame) -> pd.DataFrame:
    """The columns read as text because of empty cells (``keep_default_na=False``) back to numbers."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype.kind in "biuf":
            continue
        values = pd.to_numeric(out[column].replace("", None), errors="coerce")
        if values.notna().sum() == (out[column].astype(str) != "").sum():
            out[column] = values
    return out


def misalignment_tables(shown: dict[str, pd.DataFrame], language: str, form: str = "governance_form",
                        base: str = "") -> dict[str, str]:
    """Drop the bookkeeping columns of the misalignment tables in ``shown`` and write their notes.

    Parameters
    ----------
    shown : dict of str to DataFrame
        The report's tables by key; those of :data:`MISALIGNMENT_KEYS` are replaced in place, their
        numbers as numbers and their ``form`` column named ``form`` (so that the codebook labels
        its answers).
    language : {"fr", "en"}
    form : str
        The governance-form question (the choice model's outcome).
    base : str, default=""
        The label of the form the effects are differences from (the choice model's base).

    Returns
    -------
    dict of str to str
        The note under each of those tables, in ``language``, with its number of successful
        resamples (``n_ok``) or firms used and trimmed (``n``, ``n_trimmed``).
    """
    notes = {}
    for key in MISALIGNMENT_KEYS:
        if key not in shown:
            continue
        table = shown[key]
        first = table.iloc[0] if len(table) else {}
        fields = {name: int(first[name]) if name in table else 0 for name in ("n_ok", "n", "n_trimmed")}
        notes[key] = MISALIGNMENT_TEXT[language][f"note_{key}"].format(**fields, base=base)
        shown[key] = _numeric(table.drop(columns=[c for c in BOOKKEEPING if c in table])).rename(columns={"form": form})
    return notes

"""The report's own wording in French and in English.

Headings, table titles, column labels, verdicts and the methods notes. Labels of the study's
questions and answers are the codebook's.
"""

from __future__ import annotations

VERDICTS = {"fr": {"supported": "confirmée", "contradicted": "contredite", "inconclusive": "non concluante"},
           "en": {"supported": "supported", "contradicted": "contradicted", "inconclusive": "inconclusive"}}


REPORT_TEXT = {
    "fr": {
        "summary": "Synthèse",
        "sample": "Échantillon",
        "measurement": "Mesure",
        "choice": "Choix de la forme de gouvernance",
        "performance": "Performance",
        "waves": "Vagues et panel d'entreprises",
        "all_forms": "Toute forme (part des changements vers plus de hiérarchie)",
        "table_choice_stability": "Stabilité du modèle de choix entre les vagues",
        "table_panel_transitions": "Probabilités de transition d'une vague à la suivante (chaîne de Markov)",
        "table_panel_deepening": "Les relations s'approfondissent-elles ? Changements de forme vers plus de hiérarchie",
        "methods_notes": "Notes de méthode",
        "provenance": "Provenance",
        "sample_summary": (
            "{analysed} réponses analysées sur {received} reçues ({excluded} exclues), "
            "en {waves} vague(s) d'enquête."
        ),
        "table_form_by_sector": "Formes de gouvernance par secteur",
        "table_sample_flow": "Réponses reçues, exclues et analysées par vague",
        "table_reliability": "Fiabilité des échelles",
        "table_choice_mnl": "Logit multinomial : coefficients",
        "table_choice_fit": "Logit multinomial : qualité d'ajustement",
        "table_choice_ame": "Logit multinomial : effets marginaux moyens sur la probabilité de chaque forme",
        "table_hypotheses_summary": "Hypothèses de l'étude : verdicts",
        "table_descriptives": ("Statistiques descriptives selon la forme de gouvernance : moyenne (écart-type) ou "
                               "effectif (% de la colonne) ; x : case masquée (sous le seuil de diffusion)"),
        "table_hypotheses": "Hypothèses de l'étude : chaque vérification, son estimation et son verdict",
        "table_performance_contrasts": "Performance : écarts entre formes (p ajustées de Holm)",
        "table_misalignment": "Désalignement et performance (corrections de sélection, bootstrap des deux étapes)",
        "table_importance": "Importance relative : décomposition de Shapley du R²",
        "table_choice_tests": "Logit multinomial : tests (Wald, rapport de vraisemblance, regroupement, IIA)",
        "table_choice_small_sample": "Petits échantillons : événements par paramètre et séparation",
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
        "choice": "Choice of governance form",
        "performance": "Performance",
        "waves": "Waves and the panel of firms",
        "all_forms": "Any form (share of changes toward more hierarchy)",
        "table_choice_stability": "Stability of the choice model across waves",
        "table_panel_transitions": "Transition probabilities from one wave to the next (Markov chain)",
        "table_panel_deepening": "Do relationships deepen? Changes of form toward more hierarchy",
        "methods_notes": "Methods notes",
        "provenance": "Provenance",
        "sample_summary": (
            "{analysed} responses analysed out of {received} received ({excluded} excluded), "
            "over {waves} survey wave(s)."
        ),
        "table_form_by_sector": "Governance forms by sector",
        "table_sample_flow": "Responses received, excluded and analysed by wave",
        "table_reliability": "Scale reliability",
        "table_choice_mnl": "Multinomial logit: coefficients",
        "table_choice_fit": "Multinomial logit: goodness of fit",
        "table_choice_ame": "Multinomial logit: average marginal effects on each form's probability",
        "table_hypotheses_summary": "The study's hypotheses: verdicts",
        "table_descriptives": ("Descriptive statistics by governance form: mean (SD) or count (% of the column); "
                               "x: suppressed cell (under the disclosure minimum)"),
        "table_hypotheses": "The study's hypotheses: each check with its estimate and verdict",
        "table_performance_contrasts": "Performance: differences between forms (Holm-adjusted p)",
        "table_misalignment": "Misalignment and performance (selection corrections, two-stage bootstrap)",
        "table_importance": "Relative importance: Shapley decomposition of R²",
        "table_choice_tests": "Multinomial logit: tests (Wald, likelihood ratio, combining forms, IIA)",
        "table_choice_small_sample": "Small samples: events per parameter and separation",
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
    },
}


NOTES_TEXT = {
    "fr": {
        "exclusions": ("Exclusions : chaque réponse exclue l'est pour la première règle enfreinte, "
                       "dans l'ordre {rules}."),
        "scales": ("Échelles : items inversés recodés (min + max − x) après passage des codes de non-réponse "
                   "en valeurs manquantes ; score = moyenne des items répondus si le minimum d'items est atteint ; "
                   "alpha de Cronbach sur les réponses complètes."),
        "choice": ("Choix de gouvernance : logit multinomial (maximum de vraisemblance, Newton–Raphson), "
                   "base « {base} » ; erreurs types {cov_type}{cluster} ; {n:.0f} réponses utilisées, "
                   "{missing:.0f} écartées pour valeurs manquantes."),
        "cluster": " par grappe ({cluster}, {n_clusters:.0f} grappes ; facteur G/(G−1) comme Stata)",
        "not_converged": "ATTENTION : l'estimation du logit multinomial n'a pas convergé ; ne pas interpréter.",
        "performance": ("Performance : MCO de « {outcome} », erreurs types {cov_type}, intervalles de confiance "
                        "de Student ; {n:.0f} réponses utilisées, {missing:.0f} écartées pour valeurs manquantes."),
    },
    "en": {
        "exclusions": ("Exclusions: each excluded response is excluded for the first rule it breaks, "
                       "in the order {rules}."),
        "scales": ("Scales: reverse-coded items recoded as (min + max − x) after missing-value codes became "
                   "missing; score = mean of the answered items when the minimum number is answered; Cronbach's "
                   "alpha on complete responses."),
        "choice": ("Governance choice: multinomial logit (maximum likelihood, Newton–Raphson), base '{base}'; "
                   "{cov_type} standard errors{cluster}; {n:.0f} responses used, {missing:.0f} left out for "
                   "missing values."),
        "cluster": " clustered by {cluster} ({n_clusters:.0f} clusters; Stata's G/(G−1) factor)",
        "not_converged": "WARNING: the multinomial logit did not converge; do not interpret it.",
        "performance": ("Performance: OLS of '{outcome}', {cov_type} standard errors, Student-t confidence "
                        "intervals; {n:.0f} responses used, {missing:.0f} left out for missing values."),
    },
}

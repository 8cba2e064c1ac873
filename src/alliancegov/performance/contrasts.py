"""Pairwise contrasts between the forms in a performance model, Holm-adjusted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.performance.ols import PerformanceSpec, fit_ols


def form_contrasts(data: pd.DataFrame, spec: PerformanceSpec, form: str, forms: list[str]) -> pd.DataFrame:
    """Every pairwise difference between forms in ``spec.outcome``, adjusted for the controls, with
    Holm-adjusted p-values (``contrast, estimate, std_error, statistic, p_value, p_holm, conf_low,
    conf_high``). The form enters ``spec.formula`` as ``C(form, Treatment(base))``.

    Parameters
    ----------
    data : DataFrame
        One row per firm with the model's variables.
    spec : PerformanceSpec
        The model, fitted by :func:`fit_ols` (listwise, whatever ``spec.imputations``).
    form : str
        The form column, as named in ``spec.formula``.
    forms : list of str
        The forms in order; a form without a coefficient (the base) counts as 0.

    Returns
    -------
    DataFrame
        One row per pair ``a`` before ``b`` in ``forms``: ``outcome``, ``contrast`` ("b - a"),
        ``estimate`` (outcome units), ``std_error``, ``statistic`` (t), ``p_value``, ``p_holm``
        (Holm over all pairs), ``conf_low, conf_high`` at ``spec.level``.
    """
    from statsmodels.stats.multitest import multipletests

    result = fit_ols(data, spec).result
    names = list(result.params.index)
    column = {f: next((n for n in names if n.endswith(f"[T.{f}]") and n.startswith(f"C({form}")), None) for f in forms}
    rows = []
    for i, a in enumerate(forms):
        for b in forms[i + 1:]:
            vector = np.zeros(len(names))
            if column[b]:
                vector[names.index(column[b])] += 1
            if column[a]:
                vector[names.index(column[a])] -= 1
            test = result.t_test(vector)
            rows.append((f"{b} - {a}", float(np.squeeze(test.effect)), float(np.squeeze(test.sd)),
                         float(np.squeeze(test.tvalue)), float(np.squeeze(test.pvalue)),
                         *np.asarray(test.conf_int(alpha=1 - spec.level)).ravel()))
    table = pd.DataFrame(rows, columns=["contrast", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                        "conf_high"])
    table.insert(5, "p_holm", multipletests(table["p_value"], method="holm")[1])
    table.insert(0, "outcome", spec.outcome)
    return table

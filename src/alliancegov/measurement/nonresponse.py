"""Unit nonresponse and panel attrition: what the data can say about who did not answer.

* **Response rate** per wave against the sampling frame given in the waves sheet (``frame_size``).
  With only completed interviews and a frame size, the AAPOR (2023) rate the data allow is RR1,
  completes over the whole frame taken as eligible (unknown eligibility counted as eligible, so a
  lower bound); responses excluded by the quality rules are not counted as completes.
* **Early versus late respondents** within each wave (Armstrong & Overton 1977: late respondents
  resemble nonrespondents): the first and last thirds by submission time, compared on each key
  variable by Welch's t-test (numbers) or Pearson's χ² test (categories).
* **Attrition**: firms answering in wave t and again in t + 1 against those lost, compared on their
  wave-t answers with the same tests. Within one wave a firm answers once, so the groups hold
  independent firms.

A wave or a pair of waves the data cannot inform gets one row saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

NONRESPONSE_COLUMNS = ["analysis", "wave", "variable", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b",
                       "estimate", "statistic", "df", "p_value", "conf_low", "conf_high", "test", "note"]
WELCH = "Welch two-sample t-test"
PEARSON = "Pearson chi-squared test of independence"
RR1 = ("AAPOR RR1: completed interviews / frame size (every frame unit taken as eligible; responses excluded by "
       "the quality rules are not completes)")


def compare_groups(values: pd.Series, in_b: pd.Series, *, level: float = 0.95) -> dict:
    """Compare group a (``in_b`` False) with group b (True) on ``values``.

    Parameters
    ----------
    values : Series
        The variable; missing values are left out.
    in_b : Series of bool
        Aligned with ``values``: True for group b.
    level : float, default=0.95
        Confidence level of the difference's interval.

    Returns
    -------
    dict
        ``n_a, n_b``; for a numeric variable ``mean_a, mean_b``, ``estimate`` = mean_b - mean_a with
        Welch's t ``statistic``, Welch–Satterthwaite ``df``, two-sided ``p_value`` and interval; for
        another variable Pearson's χ² ``statistic``, ``df`` and ``p_value`` over its levels (no
        ``estimate``). ``test`` names the test; ``note`` says why a test could not be run (fewer
        than two answers in a group, or a single level).
    """
    from scipy import stats

    known = values.notna()
    a, b = values[known & ~in_b], values[known & in_b]
    row = {"n_a": len(a), "n_b": len(b)}
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        a, b = a.astype(float), b.astype(float)
        row.update(mean_a=a.mean() if len(a) else np.nan, mean_b=b.mean() if len(b) else np.nan, test=WELCH)
        if len(a) < 2 or len(b) < 2:
            return {**row, "note": "not tested: fewer than two answers in a group"}
        test = stats.ttest_ind(b, a, equal_var=False)
        low, high = test.confidence_interval(level)
        return {**row, "estimate": b.mean() - a.mean(), "statistic": test.statistic, "df": test.df,
                "p_value": test.pvalue, "conf_low": low, "conf_high": high}
    row["test"] = PEARSON
    table = pd.crosstab(values[known].astype(str), in_b[known])
    if table.shape[0] < 2 or table.shape[1] < 2:
        return {**row, "note": "not tested: a single level or an empty group"}
    statistic, p_value, df, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
    note = "some expected counts below 5" if (expected < 5).any() else ""
    return {**row, "statistic": statistic, "df": df, "p_value": p_value, "note": note}


def response_rates(analysed: Mapping[str, int], received: Mapping[str, int],
                   frame_sizes: Mapping[str, float | None]) -> list[dict]:
    """Unit response rate (AAPOR RR1) of each wave.

    Parameters
    ----------
    analysed : mapping of str to int
        Wave -> completed interviews kept for analysis.
    received : mapping of str to int
        Wave -> responses received (before the quality rules).
    frame_sizes : mapping of str to float or None
        Wave -> firms in its sampling frame (None or NaN when the waves sheet gives none).

    Returns
    -------
    list of dict
        One row per wave of ``analysed``: ``analysis`` ``response_rate``, ``n_a`` completes,
        ``n_b`` the frame, ``estimate`` RR1 (0 to 1), or a note saying why there is none.
    """
    rows = []
    for wave, completes in analysed.items():
        frame = frame_sizes.get(wave)
        row = {"analysis": "response_rate", "wave": wave, "variable": "", "group_a": "completes",
               "group_b": "frame", "n_a": completes, "test": RR1}
        if frame is None or pd.isna(frame):
            rows.append({**row, "note": "not computed: no frame_size for this wave in the waves sheet"})
            continue
        note = f"{received.get(wave, completes)} responses received"
        if frame < completes:
            note += "; the frame is smaller than the completes: check frame_size"
        rows.append({**row, "n_b": int(frame), "estimate": completes / frame, "note": note})
    return rows


def early_late(frame: pd.DataFrame, variables: Sequence[str], *, time_variable: str, level: float = 0.95) -> list[dict]:
    """First against last third of each wave's respondents by submission time, on each variable.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame, with ``wave`` and ``time_variable``.
    variables : sequence of str
        The key variables.
    time_variable : str
        The submission time (anything :func:`pandas.to_datetime` reads; unreadable times are missing).
    level : float, default=0.95
        Confidence level of the differences.

    Returns
    -------
    list of dict
        Rows of ``NONRESPONSE_COLUMNS``, ``analysis`` ``early_late``: per wave and variable,
        ``group_a`` early (the first ⌊n/3⌋ of the wave's n timed respondents, ties in time broken
        by row order), ``group_b`` late (the last ⌊n/3⌋), ``estimate`` late - early
        (:func:`compare_groups`). A wave with fewer than six timed respondents, or without the
        time column, gets one row saying why.
    """
    rows = []
    for wave, part in frame.groupby("wave", sort=True):
        base = {"analysis": "early_late", "wave": wave, "group_a": "early", "group_b": "late"}
        if time_variable not in part:
            rows.append({**base, "note": f"not computed: no column {time_variable!r}"})
            continue
        times = pd.to_datetime(part[time_variable], errors="coerce")
        timed = part[times.notna()]
        if len(timed) < 6:
            rows.append({**base, "note": f"not computed: {len(timed)} respondents with a submission time"})
            continue
        order = times[times.notna()].rank(method="first").to_numpy()
        third = len(timed) // 3
        early, late = order <= third, order > len(timed) - third
        chosen = timed[early | late]
        in_late = pd.Series(late[early | late], index=chosen.index)
        note = (f"first third (n = {int(early.sum())}) vs last third (n = {int(late.sum())}) of "
                f"{len(timed)} timed respondents")
        for variable in variables:
            result = compare_groups(chosen[variable], in_late, level=level)
            result["note"] = "; ".join(filter(None, [note, result.get("note", "")]))
            rows.append({**base, "variable": variable, **result})
    return rows


def attrition(frame: pd.DataFrame, variables: Sequence[str], *, cluster: str, level: float = 0.95) -> list[dict]:
    """Firms of wave t re-interviewed in t + 1 against those lost, on their wave-t answers.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame, with ``wave``, ``cluster`` and ``survey_year`` (the waves' order).
    variables : sequence of str
        The key variables.
    cluster : str
        The firm key linking a firm's answers across waves.
    level : float, default=0.95
        Confidence level of the differences.

    Returns
    -------
    list of dict
        Rows of ``NONRESPONSE_COLUMNS``, ``analysis`` ``attrition``, ``wave`` ``t→t+1``: first a
        ``retention`` row (``n_a`` retained, ``n_b`` lost, ``estimate`` the retained share), then per
        variable ``group_a`` retained, ``group_b`` lost, ``estimate`` lost - retained. One row
        saying why when there is a single wave or no firm key.
    """
    if cluster not in frame or frame[cluster].isna().all():
        return [{"analysis": "attrition", "note": f"not computed: no firm key column {cluster!r}"}]
    order = "survey_year" if "survey_year" in frame else "wave"
    waves = list(frame.sort_values(order, kind="stable")["wave"].drop_duplicates())
    if len(waves) < 2:
        return [{"analysis": "attrition", "note": "not computed: a single wave"}]
    rows = []
    for now, following in zip(waves, waves[1:]):
        current = frame[(frame["wave"] == now) & frame[cluster].notna()]
        later = set(frame.loc[frame["wave"] == following, cluster].dropna())
        lost = ~current[cluster].isin(later)
        label = f"{now}→{following}"
        note = ("lost: not among the analysed responses of the next wave (nonresponse, or excluded by the quality "
                "rules)")
        rows.append({"analysis": "attrition", "wave": label, "variable": "", "group_a": "retained", "group_b": "lost",
                     "n_a": int((~lost).sum()), "n_b": int(lost.sum()),
                     "estimate": float((~lost).mean()) if len(current) else np.nan,
                     "test": "retention share", "note": note})
        for variable in variables:
            result = compare_groups(current[variable], lost, level=level)
            rows.append({"analysis": "attrition", "wave": label, "variable": variable, "group_a": "retained",
                         "group_b": "lost", **result})
    return rows


def nonresponse_table(rows: Sequence[dict]) -> pd.DataFrame:
    """The rows of the three analyses as one tidy table.

    Parameters
    ----------
    rows : sequence of dict
        From :func:`response_rates`, :func:`early_late` and :func:`attrition`.

    Returns
    -------
    DataFrame
        Columns ``NONRESPONSE_COLUMNS``; counts as nullable integers.
    """
    table = pd.DataFrame(list(rows), columns=NONRESPONSE_COLUMNS)
    return table.astype({"n_a": "Int64", "n_b": "Int64"})

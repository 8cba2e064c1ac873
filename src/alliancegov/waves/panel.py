"""The panel: firms re-interviewed across waves, linked by their pseudonymous key.

A firm's governance form in one wave and in the next wave make a transition; waves are ordered
by survey year, and only consecutive waves are paired (a firm skipping a wave has no transition
across the gap). The tables read the transitions as a Markov chain of forms (see
``alliancegov.stats.transitions`` for the estimator and its intervals), and the study's claim
that relationships deepen over time, from market-like to hierarchy-like forms, is tested on it.
Consecutive waves a different number of years apart give transitions over different horizons;
the homogeneity test says whether pooling them is defensible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.deepening import deepening_test
from alliancegov.stats.transitions import (
    COUNT_COLUMNS,
    homogeneity_test,
    transition_counts,
    transition_pairs,
    transition_probabilities,
)

POOLED = "all"
LINK_COLUMNS = ["from_wave", "to_wave", "from_year", "to_year", "n_from", "n_to", "n_linked"]
FORM_BY_WAVE_COLUMNS = ["wave", "year", "state", "n"]
TRANSITION_COUNT_COLUMNS = ["from_wave", "to_wave", *COUNT_COLUMNS]
SAME_ALLIANCE = "same_alliance"   # asked of a re-interviewed firm: is it still the same alliance? (yes/no)
SAME_ALLIANCE_YES = "yes"


def wave_years(analysis: pd.DataFrame, *, wave: str = "wave", year: str = "survey_year") -> pd.Series:
    """Survey year of each wave.

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame; rows missing the wave or the year are ignored.
    wave, year : str
        Keyword-only: the columns of the wave and of its survey year.

    Returns
    -------
    Series
        The survey year of each wave (index = wave), in order of first appearance.

    Raises
    ------
    ValueError
        If a wave has more than one year.
    """
    years = analysis[[wave, year]].dropna().drop_duplicates()
    several = years[years[wave].duplicated(keep=False)]
    if len(several):
        raise ValueError(f"waves with more than one {year}: {sorted(map(str, several[wave].unique()))}")
    return years.set_index(wave)[year]


def wave_order(analysis: pd.DataFrame, *, wave: str = "wave", year: str = "survey_year") -> list:
    """The waves of ``analysis`` in survey-year order.

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame.
    wave, year : str
        Keyword-only: the columns of the wave and of its survey year.

    Returns
    -------
    list
        The waves, earliest survey year first.

    Raises
    ------
    ValueError
        When a wave has several years or two waves share a year (their order would be a guess:
        pass it explicitly to :func:`panel_transitions`).
    """
    years = wave_years(analysis, wave=wave, year=year)
    shared = years[years.duplicated(keep=False)]
    if len(shared):
        raise ValueError(f"waves sharing a {year}, order them explicitly: {sorted(map(str, shared.index))}")
    return years.sort_values().index.tolist()


def check_one_response_per_wave(analysis: pd.DataFrame, *, unit: str = "firm_key", wave: str = "wave") -> None:
    """Raise ``ValueError`` if a firm answers twice in one wave (cleaning should have excluded it).

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame; rows without a firm key are ignored.
    unit, wave : str
        Keyword-only: the columns of the pseudonymous firm key and of the wave.

    Raises
    ------
    ValueError
        If two responses share a firm key within a wave (the message shows up to three, keys cut
        to 12 characters).
    """
    keyed = analysis.dropna(subset=[unit])
    repeated = keyed[keyed.duplicated([wave, unit], keep=False)]
    if len(repeated):
        examples = repeated[[wave, unit]].drop_duplicates().head(3)
        shown = ", ".join(f"{w}: {str(k)[:12]}…" for w, k in examples.itertuples(index=False))
        raise ValueError(f"{len(repeated)} responses share a {unit} within a wave ({shown}); the panel needs one "
                         "response per firm and wave — the duplicate-firm exclusion rule should remove them")


def panel_transitions(
    analysis: pd.DataFrame,
    form: str,
    forms: Sequence[str],
    *,
    unit: str = "firm_key",
    wave: str = "wave",
    year: str = "survey_year",
    waves: Sequence | None = None,
    level: float = 0.95,
    method: str = "wilson",
    n_boot: int = 999,
    seed: int = 0,
    same_alliance: str = SAME_ALLIANCE,
) -> dict[str, pd.DataFrame]:
    """Every panel table, as DataFrames ready to be written as CSV (keys = suggested file stems).

    Responses without a key or a form are left out.

    Parameters
    ----------
    analysis : DataFrame
        The pooled analysis frame, one row per analysed response, with ``unit`` (the
        pseudonymous firm key), ``wave``, ``year`` and the form column ``form``.
    form : str
        The column of the governance form.
    forms : sequence of str
        The forms from the most market-like to the most hierarchical (the codebook's answer
        order); it orders every table and defines "deeper".
    unit, wave, year : str
        Keyword-only: the columns of the firm key (default ``firm_key``), the wave (``wave``) and
        its survey year (``survey_year``).
    waves : sequence, optional
        Overrides the survey-year order (needed when two waves share a year, or to keep a wave
        with no analysed response breaking chains).
    level : float, default=0.95
        Confidence level of the intervals.
    method : {"wilson", "goodman", "bootstrap"}, default="wilson"
        The intervals of the transition probabilities (``wilson``, ``goodman`` or the firm-cluster
        ``bootstrap``).
    n_boot : int, default=999
        Bootstrap resamples, with ``method="bootstrap"``.
    seed : int, default=0
        Seed of the bootstrap.
    same_alliance : str, default="same_alliance"
        The column of the re-interviewed firm's answer to "is it the same alliance as at the last
        interview?" (``yes``/``no``). When the frame has it, the deepening tests count only
        transitions into a response that answers ``yes`` (a change of form between two different
        alliances is no deepening); without it they count every transition and say so.

    Returns
    -------
    dict of str to DataFrame
        For a panel of W waves and k forms:

        * ``panel_links``: per consecutive pair of waves, ``from_wave, to_wave, from_year, to_year,
          n_from, n_to`` (firms with a known form) and ``n_linked`` (firms in both);
        * ``form_by_wave``: ``wave, year, state, n`` — firms per form in each wave (W·k rows);
        * ``transition_counts``: ``from_wave, to_wave, from_state, to_state, n, row_total,
          row_share`` per pair of waves with transitions, then pooled (``from_wave`` = ``to_wave`` =
          ``"all"``), k² rows each;
        * ``transition_probabilities``: the pooled Markov matrix, k² rows (see
          ``stats.transitions.transition_probabilities``): ``term, from_state, to_state, n,
          row_total, estimate, std_error, conf_low, conf_high, method``, probabilities in 0–1;
        * ``deepening``: the upward share of changes and every P(a → b) − P(b → a), a before b in
          ``forms`` (``stats.deepening.deepening_test``: a firm counts once per pair of waves, SEs
          clustered by firm), differences in probability points (0–1 scale), with a ``note`` on
          which transitions count (see ``same_alliance``);
        * ``homogeneity``: the likelihood-ratio test that the matrix is the same for every pair of
          waves, per from-form and overall (``stats.transitions.homogeneity_test``): ``from_state,
          statistic, df, p_value, n``, k + 1 rows.

        Without any re-interviewed firm the transition tables are empty (with their columns).

    Raises
    ------
    ValueError
        If a firm has two responses in one wave, a column is missing, a wave has several survey
        years, or (without ``waves``) two waves share a year (see :func:`wave_order`).
    """
    missing = [c for c in (unit, wave, year, form) if c not in analysis.columns]
    if missing:
        raise ValueError(f"the analysis frame has no column {missing}")
    check_one_response_per_wave(analysis, unit=unit, wave=wave)
    years = wave_years(analysis, wave=wave, year=year)
    order = wave_order(analysis, wave=wave, year=year) if waves is None else list(waves)
    known = analysis.dropna(subset=[unit, form])
    pairs = transition_pairs(known[unit], known[wave], known[form], periods=order, states=forms)

    counts_by_wave = transition_counts(pairs, by_period=True)
    pooled = transition_counts(pairs)
    counts = pd.concat([
        counts_by_wave.rename(columns={"from_period": "from_wave", "to_period": "to_wave"}),
        pooled.assign(from_wave=POOLED, to_wave=POOLED),
    ], ignore_index=True)[TRANSITION_COUNT_COLUMNS] if len(pooled) else pd.DataFrame(columns=TRANSITION_COUNT_COLUMNS)
    for column in ("from_wave", "to_wave"):
        counts[column] = counts[column].astype(object)

    per_wave = known.groupby(wave, observed=True)[unit].nunique().reindex(order, fill_value=0)
    linked = pairs.groupby("from_period", observed=False).size().reindex(order[:-1], fill_value=0)
    links = pd.DataFrame({
        "from_wave": order[:-1], "to_wave": order[1:],
        "from_year": years.reindex(order[:-1]).to_numpy(), "to_year": years.reindex(order[1:]).to_numpy(),
        "n_from": per_wave.to_numpy()[:-1], "n_to": per_wave.to_numpy()[1:], "n_linked": linked.to_numpy(),
    }, columns=LINK_COLUMNS)

    tally = known.groupby([known[wave].astype(object), known[form].astype(object)]).size().reindex(
        pd.MultiIndex.from_product([order, list(forms)]), fill_value=0)
    form_by_wave = pd.DataFrame({
        "wave": np.repeat(np.asarray(order, dtype=object), len(forms)),
        "year": np.repeat(years.reindex(order).to_numpy(), len(forms)),
        "state": np.tile(np.asarray(forms, dtype=object), len(order)),
        "n": tally.to_numpy().astype("int64"),
    }, columns=FORM_BY_WAVE_COLUMNS)

    return {
        "panel_links": links,
        "form_by_wave": form_by_wave,
        "transition_counts": counts,
        "transition_probabilities": transition_probabilities(pairs, level=level, method=method, n_boot=n_boot,
                                                             seed=seed),
        "deepening": _deepening(known, pairs, forms, level, unit=unit, wave=wave, same_alliance=same_alliance),
        "homogeneity": homogeneity_test(pairs),
    }


def _deepening(known: pd.DataFrame, pairs: pd.DataFrame, forms: Sequence[str], level: float, *, unit: str,
               wave: str, same_alliance: str) -> pd.DataFrame:
    """The deepening tests over the transitions within one alliance when the survey says which, with a note."""
    if same_alliance not in known.columns:
        note = (f"every transition counts: the survey has no {same_alliance} question, so a change of form "
                "between two different alliances of a firm may count as a deepening")
        return deepening_test(pairs, order=forms, level=level).assign(note=note)
    answered = known[[unit, wave, same_alliance]].drop_duplicates([unit, wave])
    same = answered[same_alliance].astype(str).str.strip().str.lower() == SAME_ALLIANCE_YES
    within = pd.MultiIndex.from_frame(answered.loc[same, [unit, wave]].astype(object))
    keep = pd.MultiIndex.from_arrays([pairs["unit"].astype(object), pairs["to_period"].astype(object)]).isin(within)
    note = (f"transitions within the same alliance only ({same_alliance} = {SAME_ALLIANCE_YES} at the later "
            f"interview): {int(keep.sum())} of {len(pairs)}")
    return deepening_test(pairs[keep].reset_index(drop=True), order=forms, level=level).assign(note=note)


# the panel tables a run publishes, and their file stems
PANEL_FILES = {"panel_links": "panel_links", "transition_counts": "panel_transition_counts",
               "transition_probabilities": "panel_transitions", "deepening": "panel_deepening",
               "homogeneity": "panel_homogeneity"}


def publishable_panel_tables(tables: dict[str, pd.DataFrame], minimum: int = 5) -> dict[str, pd.DataFrame]:
    """The :func:`panel_transitions` tables of :data:`PANEL_FILES` under disclosure control.

    Parameters
    ----------
    tables : dict of str to DataFrame
        :func:`panel_transitions`' tables.
    minimum : int, default=5
        Counts under it are suppressed.

    Returns
    -------
    dict of str to DataFrame
        The tables named in :data:`PANEL_FILES`' keys: ``transition_counts`` with ``n`` and
        ``row_share`` missing where suppressed and a boolean ``suppressed`` column,
        ``transition_probabilities`` with ``n`` (nullable ``Int64``) and the estimates missing where
        hidden and a ``suppressed`` column, ``deepening`` with hidden pair counts missing
        (``count_up``, ``count_down`` as ``Int64``); ``panel_links`` and ``homogeneity`` unchanged.
        Without any transition every table is returned unchanged.

    Notes
    -----
    Transition counts are cross-tabs of firms: in each pair of waves (and pooled), counts under
    ``minimum`` and their row shares are suppressed with secondary suppression
    (``alliancegov.disclosure.suppress_tidy_crosstab``; row totals stay). The pooled pattern also
    hides the matching cells' counts, probabilities and intervals in the Markov table (they
    would give the counts back from the row totals) and the pair counts of the deepening tests;
    those tests' estimates, a difference of two probabilities, stay.
    """
    from alliancegov.disclosure import suppress_tidy_crosstab

    counts = tables["transition_counts"]
    if counts.empty:
        return {name: tables[name] for name in PANEL_FILES}
    blocks = [suppress_tidy_crosstab(block, "from_state", "to_state", minimum=minimum, shares=["row_share"])
              for _, block in counts.groupby(["from_wave", "to_wave"], sort=False)]
    suppressed_counts = pd.concat(blocks).loc[counts.index]
    pooled = suppressed_counts[suppressed_counts["from_wave"] == POOLED]
    hidden = set(zip(pooled.loc[pooled["suppressed"], "from_state"].astype(str),
                     pooled.loc[pooled["suppressed"], "to_state"].astype(str)))

    def is_hidden(frame: pd.DataFrame, origin: str, destination: str) -> pd.Series:
        cells = zip(frame[origin].astype(str), frame[destination].astype(str))
        return pd.Series([cell in hidden for cell in cells], index=frame.index)

    probabilities = tables["transition_probabilities"].copy()
    mask = is_hidden(probabilities, "from_state", "to_state")
    probabilities = probabilities.astype({"n": "Int64"})
    probabilities.loc[mask, ["n", "estimate", "std_error", "conf_low", "conf_high"]] = pd.NA
    probabilities["suppressed"] = mask
    deepening = tables["deepening"].copy().astype({"count_up": "Int64", "count_down": "Int64"})
    deepening.loc[is_hidden(deepening, "from_state", "to_state"), "count_up"] = pd.NA
    deepening.loc[is_hidden(deepening, "to_state", "from_state"), "count_down"] = pd.NA
    return {"panel_links": tables["panel_links"], "transition_counts": suppressed_counts,
            "transition_probabilities": probabilities, "deepening": deepening, "homogeneity": tables["homogeneity"]}

"""What real survey exports contain, planted in a clean simulated wave: missing-value codes,
duplicates, impossible values, speeders, straight-liners, failed attention checks, a refusal to
take part, hostile free text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.simulate.truth import load_truth

HOSTILE_COMMENTS = (
    "<script>alert('alliancegov')</script>",
    '=HYPERLINK("http://example.invalid/x","Cliquez ici")',
)


PLAIN_COMMENTS = (
    "Relation stable avec le donneur d'ordre.",
    "Les délais de paiement sont longs.",
    "Nous cherchons un deuxième client à l'export.",
    "Le partenaire a formé nos chefs d'équipe.",
)


@dataclass
class Mess:
    """Which rows of a messed wave were planted with which problem (for tests).

    Attributes
    ----------
    planted : dict of str to list of str
        Problem → the submission ids carrying it: ``out_of_range``, ``speeder``,
        ``straightlining``, ``failed_attention_check``, ``skip_logic``, ``no_consent``,
        ``duplicate_firm`` (the second interviews' ids) and ``duplicate_submission``.
    """

    planted: dict[str, list[str]]


def add_mess(
    wave: pd.DataFrame, codebook: Codebook, *, seed: int, truth: dict | None = None
) -> tuple[pd.DataFrame, Mess]:
    """A copy of a clean canonical wave with the problems real exports contain.

    Missing answers become the codebook's missing-value codes: Likert items and numeric answers
    are planted missing at the truth's ``mess`` rates (``dont_know`` or ``refused``), and
    ``months_to_partnership``, inapplicable by design for a repeated contract, gets its
    ``not_applicable`` code, and so does a select_one question left unanswered by design
    (``same_alliance`` at a firm's first interview). Then, each on rows of its own: impossible values, speeders,
    straight-liners, failed attention checks, an answer given although skip logic excluded it, a
    refusal to take part (every answer blank, ``consent`` ``no``), a firm interviewed twice and
    submissions exported twice (both appended at the end); and free-text comments on a tenth of the
    rows (at least four), two of them hostile (a script tag, a spreadsheet formula).

    Parameters
    ----------
    wave : DataFrame
        A clean canonical wave (:func:`~alliancegov.simulate.population.simulate_waves`).
    codebook : Codebook
        Gives the variables' types, roles and missing-value codes.
    seed : int
        Keyword-only: seeds which cells and rows are planted.
    truth : dict, optional
        Keyword-only: the true parameters (default the packaged ``truth.yaml``); its ``mess``
        section says how many of each problem.

    Returns
    -------
    wave : DataFrame
        The messed copy, ``duplicate_firms + duplicate_submissions`` rows longer.
    mess : Mess
        ``planted`` maps each problem to the submission ids carrying it.
    """
    truth = truth or load_truth()
    spec = truth["mess"]
    rng = np.random.default_rng(seed)
    df = wave.copy()
    n = len(df)
    planted: dict[str, list[str]] = {}
    likert = codebook.of_type("likert")
    numeric = [v for v in codebook.of_type("integer", "decimal") if codebook.missing_codes(v)]

    for column in likert + ["months_to_partnership"]:
        df[column] = df[column].astype(float)
    # Inapplicable by design, coded as such (not a data problem): months to partnership for a repeated
    # contract, whether the alliance is the same as at the previous interview for a firm's first.
    df.loc[df["months_to_partnership"].isna(), "months_to_partnership"] = _code_of(
        codebook, "months_to_partnership", "not_applicable"
    )
    for column in codebook.of_type("select_one"):
        if column in df and "not_applicable" in codebook.missing_codes(column).values():
            df[column] = df[column].astype(object).where(df[column].notna(), "not_applicable")

    def missing_cells(columns: list[str], rate: float) -> None:
        for column in columns:
            hit = rng.random(n) < rate
            kinds = rng.choice(["dont_know", "refused"], size=n, p=[0.7, 0.3])
            for kind in ("dont_know", "refused"):
                df.loc[hit & (kinds == kind), column] = _code_of(codebook, column, kind)

    missing_cells([v for v in likert if v != "attention_check"], spec["item_missing_rate"])
    missing_cells([v for v in numeric if v != "months_to_partnership"], spec["numeric_missing_rate"])

    order = rng.permutation(n)
    taken = 0

    def rows(count: int, problem: str) -> np.ndarray:
        nonlocal taken
        chosen = order[taken : taken + count]
        taken += count
        planted[problem] = df.loc[chosen, "submission_id"].tolist()
        return chosen

    r = rows(spec["out_of_range"], "out_of_range")
    for row, (column, value) in zip(r, [("as2", 7.0), ("employees_now", -5.0), ("export_share", 150.0)] * len(r)):
        df.loc[row, column] = value
    df.loc[rows(spec["speeders"], "speeder"), "interview_duration_min"] = 4.0
    straight = rows(spec["straightliners"], "straightlining")
    df.loc[straight, likert] = 4.0
    df.loc[rows(spec["failed_attention"], "failed_attention_check"), "attention_check"] = 1.0
    # A question answered although it did not apply: a repeated contract with months to partnership.
    eligible = [i for i in order[taken:] if df.at[i, "governance_form"] == "repeated_contract"][: spec["skip_logic"]]
    order = np.concatenate([order[:taken], eligible, [i for i in order[taken:] if i not in set(eligible)]])
    df.loc[rows(len(eligible), "skip_logic"), "months_to_partnership"] = 12.0
    refusing = rows(spec["non_consenting"], "no_consent")
    answered = [
        v
        for v in codebook.variables["name"]
        if codebook.variables.at[v, "role"] not in ("meta", "identifying") and v in df and v != "consent"
    ]
    df[answered] = df[answered].astype(object)
    df.loc[refusing, answered] = None
    df.loc[refusing, "consent"] = "no"

    comment_rows = rng.choice(n, size=max(4, n // 10), replace=False)
    comments = list(HOSTILE_COMMENTS) + [PLAIN_COMMENTS[i % len(PLAIN_COMMENTS)] for i in range(len(comment_rows) - 2)]
    df.loc[comment_rows, "comment"] = comments

    twice_firm = rows(spec["duplicate_firms"], "duplicate_firm")
    again = df.loc[twice_firm].copy()
    again["submission_id"] = again["submission_id"] + "-bis"
    again["submission_time"] = again["submission_time"].str[:10] + "T18:30:00"
    planted["duplicate_firm"] = again["submission_id"].tolist()
    copies = df.loc[order[taken : taken + spec["duplicate_submissions"]]].copy()
    planted["duplicate_submission"] = copies["submission_id"].tolist()
    df = pd.concat([df, again, copies], ignore_index=True)
    return df, Mess(planted)


def _code_of(codebook: Codebook, variable: str, kind: str) -> float:
    codes = {v: k for k, v in codebook.missing_codes(variable).items()}
    return float(codes[kind])

"""Model terms are named so that one model never shows two rows under one name.

An interaction keeps both factors (``governance_form[joint_venture]:sector[textile]``): before, the
three form × textile terms of the performance model were all ``governance_form[textile]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliancegov.stats.tidy import interaction_factors, readable_term

# Columns of free text that say how a row was made, not which model it belongs to.
PROSE = {"note", "inference", "verdict_on", "warning", "claim", "label", "reason"}


def test_interaction_terms_keep_both_factors_and_stay_distinct():
    import patsy

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"y": rng.normal(size=40),
                         "governance_form": np.tile(["repeated_contract", "licensing", "supply_chain_partnership",
                                                     "joint_venture"], 10),
                         "sector": np.repeat(["services", "textile"], 20)})
    formula = ("y ~ C(governance_form, Treatment('repeated_contract')) * C(sector, Treatment('services'))")
    names = patsy.dmatrices(formula, data, return_type="dataframe")[1].columns
    readable = [readable_term(name) for name in names]

    assert len(set(readable)) == len(readable) == 8
    assert {"governance_form[joint_venture]:sector[textile]", "governance_form[licensing]:sector[textile]",
            "governance_form[supply_chain_partnership]:sector[textile]", "sector[textile]"} <= set(readable)
    assert interaction_factors("C(f, Treatment('a:b'))[T.c]:x") == ["C(f, Treatment('a:b'))[T.c]", "x"]
    assert readable_term("trust:asset_specificity") == "trust:asset_specificity"


def model_keys(table: pd.DataFrame) -> list[str]:
    """The columns that tell one model (or one test, one check) of a tidy table from another: its text
    columns (a column of numbers is a result, not a name) but the term and the prose."""
    def numeric(column: pd.Series) -> bool:
        filled = column[column != ""]
        return pd.to_numeric(filled, errors="coerce").notna().all()

    return [column for column in table.columns
            if column != "term" and column not in PROSE and not numeric(table[column])]


@pytest.mark.slow
def test_no_model_of_the_example_run_has_two_rows_with_one_term_name(run):
    project, _ = run
    tables = sorted((project / "results" / "tables").glob("*.csv"))
    checked = []
    for path in tables:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "term" not in table:
            continue
        keys = model_keys(table)
        repeated = table[table.duplicated([*keys, "term"], keep=False)]
        assert repeated.empty, (path.name, keys, repeated[[*keys, "term"]].head().to_dict("records"))
        checked.append(path.stem)
    # the tables that gave the wrong name, and the models that most often hold interactions, are among those checked
    assert {"performance_ols", "choice_mnl", "choice_ame", "misalignment", "choice_variants"} <= set(checked)
    performance = pd.read_csv(project / "results" / "tables" / "performance_ols.csv", keep_default_na=False)
    interactions = performance.loc[performance["term"].str.contains(":"), "term"]
    assert interactions.str.fullmatch(r"governance_form\[\w+\]:sector\[\w+\]").all() and len(interactions) >= 3

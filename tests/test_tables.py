"""Publication tables: CSV-injection neutralisation, byte-stable CSV, form-by-sector counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliancegov.tables import form_by_sector_table, neutralise_text_cells, write_csv


@pytest.mark.parametrize("dangerous", ["=1+1", "+33 6 12", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_each_formula_prefix_is_neutralised(dangerous):
    result = neutralise_text_cells(pd.DataFrame({"text": [dangerous, "plain"]}))

    assert result["text"].tolist() == ["'" + dangerous, "plain"]


def test_numeric_columns_and_missing_text_are_untouched():
    table = pd.DataFrame(
        {
            "estimate": [-1.5, 0.25, -0.0],
            "n": [-3, 4, 5],
            "flag": [True, False, True],
            "label": ["-neg", None, "safe-ish"],
        }
    )

    result = neutralise_text_cells(table)

    pd.testing.assert_frame_equal(result[["estimate", "n", "flag"]], table[["estimate", "n", "flag"]])
    assert result["label"].iloc[0] == "'-neg"
    assert pd.isna(result["label"].iloc[1])
    assert result["label"].iloc[2] == "safe-ish"
    assert table["label"].iloc[0] == "-neg", "the input must not be modified"


def test_categorical_and_header_cells_are_neutralised():
    table = pd.DataFrame({"=cmd": [1], "group": pd.Categorical(["@evil"])})

    result = neutralise_text_cells(table)

    assert list(result.columns) == ["'=cmd", "group"]
    assert result["group"].tolist() == ["'@evil"]


def test_write_csv_is_neutralised_byte_stable_and_keeps_rows(tmp_path):
    table = pd.DataFrame(
        {"term": ["=HYPERLINK(\"x\")", "line\rbreak", "ok"], "estimate": [0.1 + 0.2, -1 / 3, 2.0], "n": [1, -2, 3]}
    )

    first = write_csv(table, tmp_path / "nested" / "a.csv")
    second = write_csv(table, tmp_path / "nested" / "b.csv")
    content = first.read_bytes()

    assert content == second.read_bytes()
    assert b"\r" not in content
    assert content.startswith(b"term,estimate,n\n")
    assert b"0.3,1\n" in content and b"-0.3333333333," in content and b",-2\n" in content
    read_back = pd.read_csv(first)
    assert len(read_back) == 3
    assert read_back["term"].iloc[0].startswith("'=")


def test_form_by_sector_has_every_combination_and_shares_sum_to_one(codebook):
    rng = np.random.default_rng(0)
    forms_without_joint_ventures = ["repeated_contract", "licensing", "supply_chain_partnership"]
    analysis = pd.DataFrame(
        {
            "sector": ["textile"] * 150 + ["services"] * 50,
            "governance_form": list(rng.choice(codebook.answer_names("governance_form"), 150))
            + list(rng.choice(forms_without_joint_ventures, 50)),
        }
    )

    table = form_by_sector_table(analysis, codebook)

    expected_pairs = [(s, f) for s in codebook.answer_names("sector") for f in codebook.answer_names("governance_form")]
    assert list(zip(table["sector"], table["governance_form"], strict=True)) == expected_pairs
    assert table["n"].sum() == len(analysis)
    assert table.groupby("sector")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    services_jv = table[(table["sector"] == "services") & (table["governance_form"] == "joint_venture")]
    assert services_jv[["n", "share"]].to_numpy().tolist() == [[0, 0.0]]


def test_form_by_sector_skips_missing_and_rejects_unknown_answers(codebook):
    analysis = pd.DataFrame(
        {"sector": ["textile", None, "textile"], "governance_form": ["licensing", "licensing", None]}
    )

    table = form_by_sector_table(analysis, codebook)

    assert table["n"].sum() == 1
    with pytest.raises(ValueError, match="agriculture"):
        form_by_sector_table(analysis.assign(sector="agriculture"), codebook)

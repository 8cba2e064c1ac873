"""Publication tables: CSV-injection neutralisation, byte-stable CSV, form-by-sector counts,
regression tables side by side, LaTeX/Markdown/HTML/Word writers, small-cell suppression."""

from __future__ import annotations

import math
import zipfile

import numpy as np
import pandas as pd
import pytest

from alliancegov.descriptives import form_by_sector_table
from alliancegov.disclosure import suppress_small_cells, suppress_tidy_crosstab
from alliancegov.publication import publication_set, regression_table
from alliancegov.safe_output import neutralise_text_cells, write_csv
from alliancegov.table_formats import to_docx, to_html, to_latex, to_markdown, write_publication_tables


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


# --- regression tables -------------------------------------------------------------------------


@pytest.fixture
def logit():
    """A binary model; ``size`` is absent from the multinomial one."""
    return pd.DataFrame(
        {
            "term": ["Intercept", "age", "size"],
            "estimate": [0.5, -0.1234, 2.0],
            "std_error": [0.1, 0.05, 0.3],
            "statistic": [5.0, -2.468, 6.667],
            "p_value": [0.009, 0.04, 0.2],
            "conf_low": [0.3, -0.2, 1.4],
            "conf_high": [0.7, -0.02, 2.6],
        }
    )


@pytest.fixture
def multinomial():
    return pd.DataFrame(
        {
            "outcome": ["licensing", "licensing", "joint_venture", "joint_venture"],
            "term": ["Intercept", "age", "Intercept", "age"],
            "estimate": [1.0, 0.2, -1.0, 0.3],
            "std_error": [0.5, 0.1, 0.4, 0.2],
            "statistic": [2.0, 2.0, -2.5, 1.5],
            "p_value": [0.09, 0.2, 0.04, 0.009],
            "conf_low": [0.02, 0.004, -1.78, -0.09],
            "conf_high": [1.98, 0.396, -0.22, 0.69],
            "rrr": [2.7, 1.2, 0.37, 1.35],
        }
    )


def test_regression_table_layout_stars_blanks_and_fit(logit, multinomial):
    table = regression_table(
        {"Logit": logit, "MNL": multinomial},
        fit={"Logit": {"N": 250, "Pseudo R²": 0.1234}, "MNL": {"N": 240, "AIC": 610.4}},
        se_type="HC1 robust", significance="stars", stars=(0.1, 0.05, 0.01),
    )

    assert list(table.columns) == ["part", "term", "Logit", "MNL"]
    assert table["part"].tolist() == ["estimate", "statistic"] * 7 + ["fit"] * 3 + ["note"] * 2
    assert table["term"].tolist()[::2][:7] == [
        "Intercept", "age", "size",
        "licensing: Intercept", "licensing: age", "joint_venture: Intercept", "joint_venture: age",
    ]
    assert (table.loc[table["part"] == "statistic", "term"] == "").all()
    rows = table.set_index("term")
    # p = 0.009 -> ***, 0.04 -> **, 0.2 -> none; 0.09 -> *
    assert rows.loc["Intercept", "Logit"] == "0.500***"
    assert rows.loc["age", "Logit"] == "-0.123**"
    assert rows.loc["size", "Logit"] == "2.000"
    assert rows.loc["licensing: Intercept", "MNL"] == "1.000*"
    assert rows.loc["joint_venture: Intercept", "MNL"] == "-1.000**"
    assert rows.loc["joint_venture: age", "MNL"] == "0.300***"
    assert table["Logit"].iloc[1] == "(0.100)"
    assert table["MNL"].iloc[7] == "(0.500)"
    # blanks: the logit has no outcome equations, the multinomial model no ``size``
    assert rows.loc["size", "MNL"] == "" and table["MNL"].iloc[5] == ""
    assert rows.loc["licensing: age", "Logit"] == "" and table["Logit"].iloc[9] == ""
    assert rows.loc["N", ["Logit", "MNL"]].tolist() == ["250", "240"]
    assert rows.loc["Pseudo R²", ["Logit", "MNL"]].tolist() == ["0.123", ""]
    assert rows.loc["AIC", ["Logit", "MNL"]].tolist() == ["", "610.400"]
    notes = table.loc[table["part"] == "note", "term"].tolist()
    assert notes[1] == "* p < 0.1, ** p < 0.05, *** p < 0.01, two-sided."
    assert "HC1 robust" in notes[0] and "parentheses" in notes[0]


def test_regression_table_prints_exact_p_values_by_default_under_each_term(logit):
    table = regression_table({"Logit": logit.assign(p_value=[0.0004, 0.04, 0.2])}, language="fr")

    assert table["part"].tolist()[:6] == ["estimate", "statistic", "p_value"] * 2
    assert table["Logit"].tolist()[:6] == ["0,500", "(0,100)", "p <\u00a00,001", "-0,123", "(0,050)", "p = 0,040"]
    assert not any("*" in cell for cell in table["Logit"])
    assert "p exacts (bilatéraux) sous les erreurs types." in table["term"].tolist()


def test_small_estimates_keep_two_significant_digits_and_counts_stay_whole():
    rows = pd.DataFrame({"term": ["Intercept"], "estimate": [-8.43], "std_error": [1.2], "p_value": [1e-12]})
    table = regression_table({"m": rows}, exponentiate=True, fit={"m": {"N": 12345}})

    assert table["m"].iloc[0] == "0,00022".replace(",", ".")       # exp(-8.43), not 0.000
    assert table["m"].iloc[1] == f"({math.exp(-8.43) * 1.2:.5f})"
    assert table.set_index("term").loc["N", "m"] == "12,345"


def test_regression_table_exponentiated_confidence_intervals_in_french(logit):
    table = regression_table({"Logit": logit}, statistic="conf_int", exponentiate=True, language="fr",
                             term_labels={"age": "Âge"}, digits=2, significance="stars", stars=(0.1, 0.05, 0.01))

    rows = table.set_index("term")
    assert rows.loc["Intercept", "Logit"] == f"{math.exp(0.5):.2f}".replace(".", ",") + "***" == "1,65***"
    assert rows.loc["Âge", "Logit"] == "0,88**"
    assert table["Logit"].iloc[1] == "[1,35; 2,01]"  # exp(0.3), exp(0.7)
    assert table["Logit"].iloc[5] == "[4,06; 13,46]"  # exp(1.4), exp(2.6)
    assert "* p < 0,1, ** p < 0,05, *** p < 0,01, bilatéral." in table["term"].tolist()
    assert not any("." in cell for cell in table["Logit"])


def test_exponentiated_standard_errors_use_the_delta_method(logit):
    table = regression_table({"m": logit}, exponentiate=True, significance="stars", stars=None)

    assert table["m"].iloc[4] == f"{math.exp(2.0):.3f}"
    assert table["m"].iloc[5] == f"({math.exp(2.0) * 0.3:.3f})"
    assert not any("*" in cell for cell in table["m"]) and not any("p <" in t for t in table["term"])


def test_regression_table_rejects_missing_columns_and_clashing_names(logit):
    with pytest.raises(ValueError, match="std_error"):
        regression_table({"m": logit.drop(columns="std_error")})
    with pytest.raises(ValueError, match="model names"):
        regression_table({"term": logit})
    with pytest.raises(ValueError, match="unknown models"):
        regression_table({"m": logit}, fit={"other": {"N": 1}})


def test_publication_set_shows_the_configured_standard_errors_with_fit_rows_in_french(logit, tmp_path):
    by_form = logit.assign(outcome="satisfaction", model="by_form")
    ols = pd.concat([by_form.assign(se_type="cluster"),
                     by_form.assign(se_type="HC3", std_error=by_form["std_error"] * 10)], ignore_index=True)
    fit = pd.DataFrame({"outcome": "satisfaction", "se_type": ["cluster"] * 5 + ["HC3"],
                        "statistic": ["n", "n_clusters", "r2", "adj_r2", "rmse", "n"],
                        "value": [250, 180, 0.25, 0.2, 1.1, 999]})
    choice = multinomial_rows(logit)

    publication_set(choice, ols, tmp_path, language="fr", choice_cov_type="cluster", performance_cov_type="cluster",
                    performance_fit=fit)

    text = (tmp_path / "performance_models.md").read_text(encoding="utf-8")
    assert "(0,100)" in text and "(1,000)" not in text, "the clustered SEs, not the HC3 ones"
    assert "N | 250" in text and "Grappes | 180" in text and "999" not in text
    assert "R² ajusté | 0,200" in text and "rmse" not in text
    assert "Erreurs types groupées par grappe (CR1) entre parenthèses." in text
    with pytest.raises(ValueError, match="HC1"):
        publication_set(choice, ols, tmp_path, language="en", choice_cov_type="cluster", performance_cov_type="HC1")


def multinomial_rows(logit):
    """A one-equation choice table with its fit rows, as choice_variants writes it."""
    rows = logit.assign(outcome="licensing", model="main")
    fit = pd.DataFrame({"model": "main", "outcome": "(fit)", "term": ["n_obs", "aic"], "estimate": [250.0, 610.4]})
    return pd.concat([rows, fit], ignore_index=True)


# --- writers -----------------------------------------------------------------------------------


NASTY = "R&D 50% n_1 #2 $x | <script>alert(1)</script>"


@pytest.fixture
def nasty_table(logit):
    return regression_table({"Model": logit, "Other": logit.iloc[:2]}, term_labels={"age": NASTY},
                            fit={"Model": {"N": 250}}, significance="stars", stars=(0.1, 0.05, 0.01))


def test_latex_uses_booktabs_and_escapes_text(nasty_table):
    latex = to_latex(nasty_table, "Résultats & co_1", "tab:reg")

    assert latex.index(r"\toprule") < latex.index(r"\midrule") < latex.index(r"\bottomrule")
    assert latex.count(r"\midrule") == 2  # under the header, above the fit rows
    assert r"\begin{tabular}{lcc}" in latex and r"\end{tabular}" in latex
    assert "threeparttable" not in latex
    assert r"R\&D 50\% n\_1 \#2 \$x" in latex
    assert r"\caption{Résultats \& co\_1}" in latex and r"\label{tab:reg}" in latex
    assert r"$-$0.123**" in latex
    assert r"\multicolumn{3}{l}{\footnotesize * p \textless{} 0.1" in latex
    assert latex.index(r"\bottomrule") < latex.index(r"\multicolumn")
    body = latex.split(r"\midrule")[1]
    assert all(line.count(" & ") == 2 for line in body.strip().splitlines())
    for unescaped in ("R&D", "50%", "n_1", " #2", " $x"):
        assert unescaped not in latex
    with pytest.raises(ValueError, match="label"):
        to_latex(nasty_table, "c", "tab:{bad}")


def test_markdown_escapes_pipes_and_has_one_separator(nasty_table):
    markdown = to_markdown(nasty_table)
    lines = markdown.splitlines()
    table_lines = [line for line in lines if line.startswith("|")]

    assert sum(bool(line) and set(line) <= set("|:-") for line in lines) == 1
    assert lines[1] == "|:---|:---:|:---:|"
    assert lines[0] == "|  | Model | Other |"
    assert all(line.replace("\\|", "").count("|") == 4 for line in table_lines)
    assert r"\| \<script\>" in markdown and "0.500\\*\\*\\*" in markdown
    assert "<script>" not in markdown


def test_html_escapes_script(nasty_table):
    html = to_html(nasty_table, "<script>caption</script>")

    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 3  # the caption, the title, the term
    assert "R&amp;D" in html
    assert 'colspan="3"' in html and "<link" not in html and "<thead>" in html


def test_docx_has_the_table_and_a_stable_document(nasty_table, tmp_path):
    import docx

    first = to_docx(nasty_table, tmp_path / "a.docx", "Résultats")
    second = to_docx(nasty_table, tmp_path / "sub" / "b.docx", "Résultats")

    document = docx.Document(str(first))
    (grid,) = document.tables
    cells = [[cell.text for cell in row.cells] for row in grid.rows]
    assert cells[0] == ["", "Model", "Other"]
    assert cells[1] == ["Intercept", "0.500***", "0.500***"]
    assert cells[3] == [NASTY, "-0.123**", "-0.123**"]
    assert cells[5] == ["size", "2.000", ""]
    assert cells[7] == ["N", "250", ""]
    assert len(cells) == 8
    assert document.paragraphs[0].text == "Résultats"
    assert document.paragraphs[1].text == "Standard errors in parentheses."
    assert document.paragraphs[2].text == "* p < 0.1, ** p < 0.05, *** p < 0.01, two-sided."
    assert document.core_properties.created == document.core_properties.modified
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")
        assert a.read("docProps/core.xml") == b.read("docProps/core.xml")
        assert {info.date_time for info in a.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert first.read_bytes() == second.read_bytes()


def test_write_publication_tables_is_byte_stable(nasty_table, tmp_path):
    first = write_publication_tables(nasty_table, tmp_path / "one" / "table.v2", "Caption", "tab:one")
    second = write_publication_tables(nasty_table, tmp_path / "two" / "table.v2", "Caption", "tab:one")

    assert [path.name for path in first] == ["table.v2.tex", "table.v2.md", "table.v2.html", "table.v2.docx"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert b"\r" not in first[0].read_bytes() + first[1].read_bytes() + first[2].read_bytes()


def test_writers_render_a_crosstab_with_its_row_labels():
    counts = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x|y", "z"], name="sector"))

    markdown = to_markdown(counts)

    assert markdown.splitlines()[0] == "| sector | a |"
    assert "| x\\|y | 1 |" in markdown


# --- disclosure control ------------------------------------------------------------------------


@pytest.fixture
def counts():
    return pd.DataFrame(
        [[10, 3, 20, 7], [12, 15, 0, 9], [30, 25, 40, 11]],
        index=pd.Index(["r1", "r2", "r3"], name="sector"),
        columns=pd.Index(["a", "b", "c", "d"], name="form"),
    )


def lines_with_one_suppression(mask: pd.DataFrame) -> int:
    return int((mask.sum(axis=1) == 1).sum() + (mask.sum(axis=0) == 1).sum())


def test_one_small_cell_gets_secondary_suppressions_in_its_row_and_column(counts):
    table, mask = suppress_small_cells(counts, minimum=5)

    inner = mask.loc[counts.index, counts.columns]
    assert inner.loc["r1", "b"], "primary: 0 < 3 < 5"
    assert inner.loc["r1"].sum() >= 2 and inner["b"].sum() >= 2
    assert inner.loc["r1", "d"] and inner.loc["r2", "b"], "the smallest other cells of the row and column"
    assert lines_with_one_suppression(inner) == 0
    assert inner.to_numpy().sum() == 4
    assert (table.where(mask).stack().dropna() == "x").all()
    assert not mask.loc["Total"].any() and not mask["Total"].any()


def test_published_cells_and_margins_are_true_and_zeros_are_kept(counts):
    table, mask = suppress_small_cells(counts, minimum=5)

    published = table.loc[counts.index, counts.columns].where(~mask.loc[counts.index, counts.columns])
    for (r, c), value in published.stack().dropna().items():
        assert value == counts.loc[r, c]
    assert table.loc["r2", "c"] == 0 and not mask.loc["r2", "c"]
    assert table["Total"].loc[counts.index].tolist() == counts.sum(axis=1).tolist()
    assert table.loc["Total", counts.columns].tolist() == counts.sum(axis=0).tolist()
    assert table.loc["Total", "Total"] == counts.to_numpy().sum()
    primary_only, primary_mask = suppress_small_cells(counts, minimum=5, secondary=False)
    assert primary_mask.to_numpy().sum() == 1 and primary_only.loc["r1", "b"] == "x"


def test_suppression_iterates_until_no_line_has_a_single_suppressed_cell():
    rng = np.random.default_rng(3)
    for _ in range(50):
        counts = pd.DataFrame(rng.poisson(6, size=(5, 4)))
        _, mask = suppress_small_cells(counts, minimum=5)
        inner = mask.iloc[:-1, :-1]
        assert lines_with_one_suppression(inner) == 0
        small = ((counts > 0) & (counts < 5)).to_numpy()
        assert inner.to_numpy()[small].all()
        assert not inner.to_numpy()[(counts == 0).to_numpy() & ~inner.to_numpy()].any()


def test_suppression_rejects_bad_counts_and_unprotectable_lines():
    with pytest.raises(ValueError, match="whole numbers"):
        suppress_small_cells(pd.DataFrame({"a": [1.5, 2.0]}))
    with pytest.raises(ValueError, match="cannot protect"):
        suppress_small_cells(pd.DataFrame({"a": [3, 20]}))


def test_suppress_tidy_crosstab_hides_counts_and_matching_shares(codebook):
    analysis = pd.DataFrame(
        {
            "sector": ["textile"] * 40 + ["services"] * 30,
            "governance_form": ["licensing"] * 20 + ["joint_venture"] * 2 + ["repeated_contract"] * 18
            + ["licensing"] * 10 + ["joint_venture"] * 8 + ["repeated_contract"] * 12,
        }
    )
    tidy = form_by_sector_table(analysis, codebook)

    result = suppress_tidy_crosstab(tidy, "sector", "governance_form")

    assert list(result.columns) == [*tidy.columns, "suppressed"]
    assert result[["sector", "governance_form"]].equals(tidy[["sector", "governance_form"]])
    small = (tidy["n"] > 0) & (tidy["n"] < 5)
    assert small.any() and result.loc[small, "suppressed"].all()
    assert result["n"].isna().equals(result["suppressed"]) and result["share"].isna().equals(result["suppressed"])
    assert result["suppressed"].sum() == 4
    kept = ~result["suppressed"]
    assert (result.loc[kept, "n"].astype("int64") == tidy.loc[kept, "n"]).all()
    assert ((tidy["n"] == 0) <= ~result["suppressed"]).all(), "true zeros stay published"


def test_form_shares_by_wave_follow_the_wave_order_with_wilson_intervals(codebook):
    from alliancegov.waves.stage import form_shares_by_wave

    analysis = pd.DataFrame({
        "wave": ["w2025"] * 10 + ["w2024"] * 4,
        "governance_form": ["joint_venture"] * 3 + ["repeated_contract"] * 7 + ["licensing"] * 4,
    })
    table = form_shares_by_wave(analysis, codebook, ["w2024", "w2025", "w2026"])
    assert list(dict.fromkeys(table["wave"])) == ["w2024", "w2025", "w2026"]
    row = table[(table["wave"] == "w2025") & (table["governance_form"] == "joint_venture")].iloc[0]
    z, n, p = 1.959963984540054, 10, 0.3
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * (p * (1 - p) / n + z**2 / (4 * n**2)) ** 0.5
    assert (row["n"], row["wave_n"], row["share"]) == (3, 10, pytest.approx(0.3))
    assert (row["conf_low"], row["conf_high"]) == (pytest.approx(centre - half), pytest.approx(centre + half))
    empty_wave = table[table["wave"] == "w2026"]
    assert (empty_wave["n"] == 0).all() and empty_wave["share"].isna().all()


def test_descriptive_table_shows_means_counts_and_suppresses_small_cells(codebook):
    from alliancegov.publication import descriptive_table
    from alliancegov.table_formats import to_markdown

    analysis = pd.DataFrame({
        "governance_form": ["repeated_contract"] * 12 + ["joint_venture"] * 8,
        "trust": [3.0] * 6 + [4.0] * 6 + [2.0] * 8,
        "sector": ["textile"] * 10 + ["services"] * 2 + ["textile"] * 3 + ["services"] * 5,
    })
    table = descriptive_table(analysis, codebook, continuous=["trust"], categorical=["sector"],
                              by="governance_form", language="en", minimum_cell=5)
    rc = next(c for c in table.columns if c.startswith(codebook.answer_label("governance_form", "repeated_contract")))
    assert rc.endswith("(n = 12)") and table.columns[2] == "All (n = 20)"
    trust = table[table["term"].str.startswith(codebook.label("trust", "en"))].iloc[0]
    assert trust[rc] == "3.50 (0.52)" and trust["All (n = 20)"] == "2.90 (0.85)"
    services = table[table["term"].str.strip() == codebook.answer_label("sector", "services", "en")].iloc[0]
    textile = table[table["term"].str.strip() == codebook.answer_label("sector", "textile", "en")].iloc[0]
    assert services[rc] == "x" and textile[rc] == "x"   # 2 < 5, and its column partner by secondary suppression
    assert services["All (n = 20)"] == "7 (35.0)"
    assert "fewer than 5 observations" in to_markdown(table)


def test_frequency_weighted_descriptives_equal_the_rows_repeated(codebook):
    """With frequency weights (a row stands for that many observations) Table 1 and the outcome-by-group
    counts are those of the data with every row repeated as often as its weight."""
    from alliancegov.descriptives import form_by_sector_table
    from alliancegov.publication import descriptive_table

    cells = pd.DataFrame({
        "governance_form": ["repeated_contract", "repeated_contract", "joint_venture", "joint_venture"],
        "trust": [3.0, 4.0, 2.0, 5.0],
        "sector": ["textile", "services", "textile", "services"],
        "freq": [7, 5, 2, 9],
    })
    expanded = cells.loc[cells.index.repeat(cells["freq"])].reset_index(drop=True)
    settings = dict(continuous=["trust"], categorical=["sector"], by="governance_form", language="en",
                    minimum_cell=1)
    weighted = descriptive_table(cells, codebook, weights="freq", **settings)
    pd.testing.assert_frame_equal(weighted, descriptive_table(expanded, codebook, **settings))
    assert weighted.columns[2] == "All (n = 23)"
    pd.testing.assert_frame_equal(form_by_sector_table(cells, codebook, weights="freq"),
                                  form_by_sector_table(expanded, codebook))

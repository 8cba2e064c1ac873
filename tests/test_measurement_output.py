"""The measurement stage's tables as a reader sees them: the wide correlation matrix in the four
publication formats, and the report's Measurement section (escaped, in both languages)."""

import numpy as np
import pandas as pd
import pytest

from alliancegov.correlation_matrix import correlation_matrix
from alliancegov.measurement.correlations import correlation_rows
from alliancegov.messages import message
from alliancegov.table_formats import to_markdown, write_publication_tables
from tests.test_report import page_html

PLANTED = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def correlations():
    rng = np.random.default_rng(30)
    n = 600
    common = rng.normal(size=n)
    frame = pd.DataFrame({"trust": 0.6 * common + rng.normal(size=n), "learning": 0.6 * common + rng.normal(size=n),
                          "marker": 0.3 * common + rng.normal(size=n), "firm_age": rng.normal(size=n),
                          "firm_key": np.repeat(np.arange(300), 2)})
    return correlation_rows(frame, ["trust", "learning", "firm_age", "marker"], cluster="firm_key",
                            reliability={"trust": (0.81, "Cronbach's alpha"), "learning": (0.6, "Cronbach's alpha")},
                            marker_correlation=0.05, marker="marker")


def test_the_matrix_has_means_sds_the_lower_triangle_and_reliabilities(correlations, codebook):
    matrix = correlation_matrix(correlations, codebook, language="en")
    body = matrix[matrix["part"] == "estimate"].set_index("term")
    assert list(matrix.columns) == ["part", "term", "Mean", "SD", "1", "2", "3", "4"]
    assert list(body.index) == ["1. Trust", "2. Organisational learning", "3. Firm age (years)", "4. marker"]
    assert body.at["1. Trust", "1"] == "(0.81)" and body.at["3. Firm age (years)", "3"] == "—"
    r = correlations.query("variable_a == 'learning' and variable_b == 'trust'").iloc[0]
    assert body.at["2. Organisational learning", "1"] == f"{r['estimate']:.2f}***"
    notes = list(matrix.loc[matrix["part"] == "note", "term"])
    assert notes[0] == "N = 600 responses from 300 firms."
    assert "firm-clustered" in notes[1] and notes[2] == "* p < 0.05, ** p < 0.01, *** p < 0.001, two-sided."
    assert notes[3] == "Diagonal, in parentheses: Cronbach's alpha."
    # without the marker named, the upper triangle stays empty
    assert body.at["1. Trust", "2"] == ""


def test_exact_p_values_in_a_row_under_each_variable(correlations):
    matrix = correlation_matrix(correlations, language="fr", significance="p_value")
    statistic = matrix[matrix["part"] == "statistic"]
    assert len(statistic) == 4 and statistic.iloc[1]["1"] == "(< 0,001)"
    assert "*" not in "".join(matrix.loc[matrix["part"] == "estimate", "1"])
    assert matrix.loc[matrix["part"] == "estimate", "Moyenne"].str.contains(",").all()
    with pytest.raises(ValueError, match="significance"):
        correlation_matrix(correlations, significance="exact")


def test_the_marker_corrected_correlations_fill_the_upper_triangle(correlations):
    matrix = correlation_matrix(correlations, language="en", marker="marker")
    body = matrix[matrix["part"] == "estimate"].set_index("term")
    adjusted = correlations.query("variable_a == 'learning' and variable_b == 'trust'").iloc[0]["marker_adjusted"]
    assert body.at["1. trust", "2"].startswith(f"{adjusted:.2f}")
    assert body.at["1. trust", "4"] == ""          # the marker's own pairs are not corrected
    note = matrix.loc[matrix["part"] == "note", "term"].iloc[-1]
    assert "Lindell & Whitney" in note and "r_M = 0.050" in note


def test_the_four_publication_formats_are_written(correlations, codebook, tmp_path):
    matrix = correlation_matrix(correlations, codebook, language="en")
    paths = write_publication_tables(matrix, tmp_path / "correlations", "Means, SDs and correlations",
                                     "tab:correlations")
    assert [path.suffix for path in paths] == [".tex", ".md", ".html", ".docx"]
    tex = paths[0].read_text(encoding="utf-8")
    assert r"\toprule" in tex and "firm-clustered" in tex and r"(0.81)" in tex
    assert "| 1. Trust | 0.04 |" in to_markdown(matrix)


def test_publication_run_writes_the_correlation_table_when_given(correlations, tmp_path, monkeypatch):
    import alliancegov.publication as publication
    import alliancegov.publication.stage as publication_stage
    from tests.conftest import CODEBOOK_DIR

    monkeypatch.setattr(publication_stage, "publication_set", lambda *args, **kwargs: [])   # the models' tables
    path = tmp_path / "correlations.csv"
    correlations.to_csv(path, index=False)
    data = tmp_path / "analysis.parquet"
    pd.DataFrame({"governance_form": ["licensing"], "trust": [3.0]}).to_parquet(data)
    outputs = {f"correlations_{s}": str(tmp_path / "publication" / f"correlations.{s}")
               for s in ("tex", "md", "html", "docx")}
    paths = publication.run(choice=str(path), performance=str(path), performance_fit=str(path), data=str(data),
                            codebook=[str(CODEBOOK_DIR / n) for n in ("variables.csv", "value_sets.csv", "scales.csv")],
                            outputs=outputs, language="fr", choice_cov_type="cluster", performance_cov_type="cluster",
                            descriptives={"continuous": ["trust"], "categorical": []}, outcome="governance_form",
                            minimum_cell=5, correlations=str(path),
                            correlation_settings={"correlations": {"significance": "p_value"}})
    assert sorted(p.name for p in paths) == sorted(f"correlations.{s}" for s in ("docx", "html", "md", "tex"))
    markdown = (tmp_path / "publication" / "correlations.md").read_text(encoding="utf-8")
    assert "Moyennes, écarts-types et corrélations" in markdown and "(\\< 0,001)" in markdown


@pytest.fixture(scope="module")
def measurement_files(tmp_path_factory, correlations):
    folder = tmp_path_factory.mktemp("measurement_report")
    tables = {
        "correlations": correlations,
        "vif": pd.DataFrame({"model": ["choice"], "term": ["trust"], "df": [1], "n": [600], "gvif": [1.2],
                             "gvif_root": [1.1], "criterion": [1.2], "threshold": [5.0], "above_threshold": [False],
                             "warning": [""]}),
        "cfa": pd.DataFrame({"part": ["loading", "fit", "fit"], "factor": ["trust", None, None],
                             "item": ["tr1", None, None], "measure": ["loading", "chisq", "df"],
                             "estimate": [1.0, 12.5, 8.0], "std_error": [np.nan] * 3, "statistic": [np.nan] * 3,
                             "p_value": [np.nan, 0.13, np.nan], "conf_low": [np.nan] * 3, "conf_high": [np.nan] * 3,
                             "std_all": [0.7, np.nan, np.nan], "note": ["", "every response pooled", ""]}),
        "validity": pd.DataFrame({"measure": ["alpha", "composite_reliability", "ave", "htmt"],
                                  "scale": ["trust"] * 3 + ["trust"], "other_scale": [None] * 3 + ["learning"],
                                  "item": [None] * 4, "value": [0.81, 0.8, 0.45, 0.9], "statistic": [np.nan] * 4,
                                  "p_value": [np.nan] * 4, "threshold": [0.7, 0.7, 0.5, 0.85],
                                  "flagged": [False, False, True, True], "method": ["a", "b", "c", PLANTED]}),
        "invariance": pd.DataFrame({"grouping": ["wave"], "scale": ["trust"], "model": ["configural"],
                                    "chisq": [0.0], "df": [0], "delta_chisq": [np.nan], "delta_df": [np.nan],
                                    "p_delta": [np.nan], "cfi": [1.0], "delta_cfi": [np.nan], "rmsea": [np.nan],
                                    "delta_rmsea": [np.nan], "held": [None]}),
        "common_method": pd.DataFrame({"test": ["harman_component"], "quantity": ["first_factor_share"],
                                       "variable_a": [None], "variable_b": [None], "value": [0.2], "statistic": [None],
                                       "df": [None], "p_value": [None], "note": ["Podsakoff"]}),
        "nonresponse": pd.DataFrame({"analysis": ["response_rate"], "wave": ["w1"], "variable": [""],
                                     "n_a": [250], "n_b": [1000], "mean_a": [None], "mean_b": [None],
                                     "estimate": [0.25], "conf_low": [None], "conf_high": [None], "p_value": [None],
                                     "note": [""]}),
        "flags": pd.DataFrame({"scale": ["trust", "trust"], "criterion": ["ave", "scalar_invariance"],
                               "value": [0.45, -0.03], "threshold": [0.5, -0.01], "flagged": [True, True],
                               "comparison": ["", "wave"], "variables": ["trust", "trust"],
                               "note": [f"trust: AVE 0.45 < 0.50 {PLANTED}", "trust: scalar invariance"]}),
    }
    files = {}
    for key, table in tables.items():
        files[key] = str(folder / f"{key}.csv")
        table.to_csv(files[key], index=False)
    return files


def test_the_report_shows_the_measurement_section_escaped_in_both_languages(measurement_files, codebook):
    from alliancegov.report.document import build_sections
    from alliancegov.report.registry import registry
    from alliancegov.report.stage import read_table
    from tests.test_report import CONFIG, ReportContext, report_settings

    stems = {"validity": "measurement_validity", "cfa": "measurement_cfa", "flags": "measurement_flags",
             "invariance": "measurement_invariance", "correlations": "correlations", "common_method": "common_method",
             "nonresponse": "nonresponse_bias", "vif": "vif"}
    sources = {stems[key]: read_table(path) for key, path in measurement_files.items()}
    flags = sources["measurement_flags"]   # a scale's name from the data reaches the page as text
    sources["measurement_flags"] = pd.concat([flags, flags.iloc[:1].assign(scale=PLANTED)], ignore_index=True)
    tables, figures = registry()
    entries = (tuple(entry for entry in tables if entry.presenter == "measurement"), figures)
    for language, warning in (("fr", "Confiance"), ("en", "Trust")):
        context = ReportContext(language=language, codebook=codebook, sources=sources,
                                settings=report_settings(CONFIG, codebook, language))
        results, appendix = build_sections(context, {}, {}, list(sources), entries)
        blocks = {block.key: block for part in (*results, *appendix) for block in part.blocks}
        assert set(blocks) == {entry.key for entry in entries[0]}
        assert [part.key for part in results if not part.left_out] == ["measurement"] and results[0].text
        # the sections of the stages this report has no table of say so in one sentence each
        assert [part.key for part in results if part.left_out] == ["choice", "performance", "waves"]
        flags = blocks["measurement_flags"]
        assert flags.caption == message("tables.measurement_flags.caption", language)
        notes = " ".join(note for block in blocks.values() for note in block.notes)
        assert warning in notes                              # the scales whose means are not comparable
        html = page_html(language, sources, {}, codebook=codebook, entries=entries)
        measurement = html[html.index('<section id="measurement">'):]
        assert "<script" not in html and "&lt;script&gt;" in measurement
        assert measurement.count('class="table-note"') >= 8


def dry_run_jobs(project):
    from tests.conftest import snakemake

    result = snakemake(project, "--dry-run", "--quiet", "rules", "--cores", "2")
    return result, result.stdout + result.stderr


def test_the_stage_is_on_with_its_section_and_off_without(tmp_path):
    """A frame_size column (one cell blank) passes the waves sheet's schema; the measurement section
    turns the rule on, its absence off; an unknown option stops the run before any job."""
    import re

    import yaml

    from tests.conftest import copy_project

    copy_project(tmp_path)
    sheet = tmp_path / "config" / "waves.tsv"
    waves = pd.read_csv(sheet, sep="\t", dtype=str)
    waves["frame_size"] = ["1200", "", "1100"][: len(waves)]
    waves.to_csv(sheet, sep="\t", index=False)
    result, text = dry_run_jobs(tmp_path)
    assert result.returncode == 0, text[-3000:]
    # the publication tables: one job per report language
    assert re.search(r"^measurement\s+1$", text, re.M) and re.search(r"^publication_tables\s+2$", text, re.M)
    config_path = tmp_path / "config" / "config.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["measurement"]["cfa"]["htmt"] = "htmt3"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result, text = dry_run_jobs(tmp_path)
    assert result.returncode != 0 and "htmt3" in text
    del config["measurement"]
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result, text = dry_run_jobs(tmp_path)
    assert result.returncode == 0, text[-3000:]
    assert not re.search(r"^measurement\s", text, re.M)

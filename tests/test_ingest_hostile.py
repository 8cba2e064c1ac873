"""Hostile exports that must never be silently misread: each becomes a named error or a documented,
tested conversion (README, "What the pipeline refuses, and how it reads ambiguous input").

File-based cases that fit one row of a table live in tests/data/broken/manifest.csv
(test_broken_inputs.py); the cases here need a second file, a setting, or a look at more than the
outcome.
"""

import json
import os
import unicodedata

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from alliancegov.clean.quality import QualitySettings
from alliancegov.clean.stage import clean_wave
from alliancegov.ingest.cells import IngestError
from alliancegov.ingest.dates import date_formats, parse_dates
from alliancegov.ingest.identifiers import text_value
from alliancegov.ingest.numbers import NumberError, read_number
from alliancegov.ingest.pseudonymise import (
    KeyProblem,
    check_key_fingerprints,
    firm_keys,
    key_fingerprint,
    load_pseudonymisation_key,
)
from alliancegov.ingest.stage import IngestSettings, WaveOptions, ingest_wave
from alliancegov.ingest.waves_sheet import OPTIONAL_COLUMNS, WavesSheetError, read_waves_sheet
from alliancegov.model_inputs import check_model_variables, model_variables
from tests.conftest import ROOT

SETTINGS = IngestSettings("registry_number", ("submission_id", "registry_number"))
HEADER = "submission_id,registry_number,consent,interview_duration_min,sector,employees_now,as1\n"


def ingest(path, fmt, codebook, settings=SETTINGS, crosswalk=None, key=b"k", **options):
    return ingest_wave(path, fmt, "w2025", codebook, key=key, settings=settings, crosswalk=crosswalk,
                       options=WaveOptions(**options))


def write(tmp_path, text, name="wave.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---- 3. numbers by the wave's notation -------------------------------------------------------------

@pytest.mark.parametrize("text,locale,value", [
    ("1,500", "fr", 1.5), ("1,500", "en", 1500.0), ("2.500", "fr", 2500.0), ("2.500", "en", 2.5),
    ("1 234,5", "fr", 1234.5), ("1\u202f234,5", "fr", 1234.5), ("1.234.567,25", "fr", 1234567.25),
    ("1,234.5", "en", 1234.5), ("1 234 567", "en", 1234567.0), ("-12", "en", -12.0), ("\u221212,5", "fr", -12.5),
    ("0,25", "fr", 0.25), (".5", "en", 0.5), ("1e3", "en", 1000.0),
])
def test_numbers_are_read_by_the_declared_notation(text, locale, value):
    assert read_number(text, locale).value == value


@pytest.mark.parametrize("text,locale", [
    ("1,5", "en"), ("46.5", "fr"), ("1.2.3", "en"), ("1,23,456", "en"), ("12,34", "en"), ("1'500", "fr"),
    ("1 23", "fr"), ("1,500.000,5", "en"), ("--5", "en"), ("1.500,000.5", "fr"),
])
def test_a_number_fitting_no_reading_of_the_notation_is_refused(text, locale):
    with pytest.raises(NumberError, match=f"not a number in locale '{locale}'"):
        read_number(text, locale)


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-Infinity", "12 employés", "douze", "n/a", "-"])
def test_text_that_merely_contains_digits_or_spells_a_float_is_no_number(text):
    assert read_number(text, "en") is None


def test_a_whole_number_column_never_takes_1_500_as_one_and_a_half(tmp_path, codebook):
    path = write(tmp_path, HEADER.replace(",", ";") + "s1;RC-1;yes;30;Services;1,500;4\n")
    with pytest.raises(IngestError, match=r"row 2, column 'employees_now': '1,500' reads as 1.5 in locale 'fr'"):
        ingest(path, "csv", codebook, locale="fr")
    # a decimal column takes the same text by the notation: 1,500 minutes is one and a half
    path = write(tmp_path, HEADER.replace(",", ";") + "s1;RC-1;yes;1,500;Services;12;4\n")
    frame, provenance = ingest(path, "csv", codebook, locale="fr")
    assert frame["interview_duration_min"].tolist() == [1.5] and provenance["locale"] == "fr"


def test_the_config_locale_applies_unless_the_wave_declares_its_own(tmp_path, codebook):
    path = write(tmp_path, HEADER.replace(",", ";") + "s1;RC-1;yes;2.500;Services;12;4\n")
    french = IngestSettings("registry_number", ("submission_id",), locale="fr")
    assert ingest(path, "csv", codebook, settings=french)[0]["interview_duration_min"].tolist() == [2500.0]
    assert ingest(path, "csv", codebook, settings=french, locale="en")[0]["interview_duration_min"].tolist() == [2.5]


# ---- 4. dates by the wave's formats ---------------------------------------------------------------

def test_dates_are_parsed_with_the_declared_formats_never_guessed():
    cells = pd.Series(["03/04/2025 10:00", "2025-04-03 10:00", "31/02/2025 10:00", None, ""])
    parsed, invalid = parse_dates(cells, date_formats("%d/%m/%Y %H:%M"))
    assert parsed.iloc[0] == pd.Timestamp("2025-04-03 10:00")        # the 3rd of April, as declared
    assert parsed.iloc[1:].isna().all()
    assert [(p, problem) for p, _, problem in invalid] == [(1, "not a date in the declared format"),
                                                          (2, "impossible date")]


def test_dates_with_an_offset_are_converted_to_utc_and_stored_dates_are_kept():
    cells = pd.Series(["2025-03-01T10:00:00+01:00", pd.Timestamp("2025-03-01 09:30"), np.datetime64("2025-03-02")],
                      dtype=object)
    parsed, invalid = parse_dates(cells, date_formats(""))
    assert parsed.tolist() == [pd.Timestamp("2025-03-01 09:00"), pd.Timestamp("2025-03-01 09:30"),
                               pd.Timestamp("2025-03-02")] and invalid == []


def test_a_date_format_without_a_code_is_refused():
    with pytest.raises(ValueError, match="hold no % code"):
        date_formats("dd/mm/yyyy")


def test_an_impossible_date_is_excluded_with_a_description_not_its_text(tmp_path, codebook):
    path = write(tmp_path, "submission_id,submission_time,registry_number\ns1,2025-03-01T09:00:00,RC-1\n"
                           "s2,2025-02-29T09:00:00,RC-2\n")
    frame, provenance = ingest(path, "csv", codebook)
    assert provenance["invalid_dates"] == 1 and frame["quarantined_raw"].tolist() == [
        "", "submission_time='2025-02-29T09:00:00'"]
    result = clean_wave(frame, codebook, QualitySettings(exclusion_rules=("invalid_date",)), survey_year=2025)
    assert result.exclusions[["submission_id", "rule", "offending"]].values.tolist() == [
        ["s2", "invalid_date", "impossible date in submission_time, 19 characters"]]


def test_excel_dates_are_taken_as_stored(tmp_path, codebook):
    book = openpyxl.Workbook()
    book.active.append(["submission_id", "submission_time", "registry_number"])
    book.active.append(["s1", pd.Timestamp("2025-03-01 09:15").to_pydatetime(), "RC-1"])
    book.save(tmp_path / "w.xlsx")
    frame, _ = ingest(tmp_path / "w.xlsx", "xlsx", codebook, date_formats=("%d/%m/%Y",))
    assert frame["submission_time"].tolist() == [pd.Timestamp("2025-03-01 09:15")]


# ---- 5. identifiers are text --------------------------------------------------------------------

@pytest.mark.parametrize("cell,text", [
    (100011.0, "100011"), (np.float64(100011), "100011"), (100011, "100011"), ("100011.0", "100011"),
    ("RC\u200b-100011", "RC-100011"), ("\ufeffRC-100011", "RC-100011"), (" RC-100011\u00ad ", "RC-100011"),
    ("Soci\u0065\u0301t\u00e9", "Soci\u00e9t\u00e9"), ("\u200b", None), (float("nan"), None),
])
def test_identifiers_are_read_as_comparable_text(cell, text):
    assert text_value(cell, identifier=True) == text
    if text:
        assert unicodedata.is_normalized("NFC", text_value(cell, identifier=True))


def test_float_identifiers_from_spss_and_excel_keep_the_panel_links(tmp_path, codebook):
    """100011.0 (SPSS, Excel) and "100011" (CSV) are one firm: the links between two waves survive."""
    ids = [100011 + i for i in range(150)]
    pyreadstat.write_sav(pd.DataFrame({"submission_id": [f"a{i}" for i in range(150)],
                                       "registry_number": [float(i) for i in ids]}), str(tmp_path / "w1.sav"))
    write(tmp_path, "submission_id,registry_number\n" + "".join(f"b{i},{n}\n" for i, n in enumerate(ids)), "w2.csv")
    book = openpyxl.Workbook()
    book.active.append(["submission_id", "registry_number"])
    for i, n in enumerate(ids):
        book.active.append([f"c{i}", float(n)])
    book.save(tmp_path / "w3.xlsx")
    keys = [set(ingest(tmp_path / name, fmt, codebook)[0]["firm_key"])
            for name, fmt in [("w1.sav", "sav"), ("w2.csv", "csv"), ("w3.xlsx", "xlsx")]]
    assert len(keys[0] & keys[1]) == len(keys[1] & keys[2]) == 150


def test_invisible_characters_and_unicode_forms_do_not_split_a_firm():
    ids = pd.Series(["RC-CASA-100001", "RC-CASA\u200b-100001", "\ufeffRC-CASA-100001",
                     "Soci\u00e9t\u00e9 Atlas", "Soci\u0065\u0301t\u00e9 Atlas"])
    keys = firm_keys(ids, pd.Series([f"w:row{i}" for i in range(5)]), b"0123456789abcdef")
    assert keys.iloc[0] == keys.iloc[1] == keys.iloc[2] and keys.iloc[3] == keys.iloc[4]


def test_a_blank_identifier_is_flagged_and_never_shares_a_key(tmp_path, codebook):
    path = write(tmp_path, "submission_id,registry_number,sector\ns1,,Services\ns2, \u200b ,Services\n"
                           ",,Services\n,RC-4,Services\n")
    settings = IngestSettings("registry_number", ("submission_id",))
    frame, provenance = ingest(path, "csv", codebook, settings=settings)
    assert frame["firm_key"].nunique() == 4 and provenance["blank_firm_ids"] == 3
    assert frame["blank_firm_id"].tolist() == ["registry_number is blank"] * 3 + [""]
    result = clean_wave(frame, codebook, QualitySettings(exclusion_rules=("duplicate_submission", "duplicate_firm")),
                        survey_year=2025)
    assert result.exclusions.empty   # blank submission ids are not duplicates of each other, nor blank firms


def test_blank_submission_ids_are_never_duplicates_of_each_other(codebook):
    frame = pd.DataFrame({"wave": "w", "source_row": [2, 3, 4, 5], "firm_key": ["a", "b", "c", "d"],
                          "submission_id": pd.Series([None, "", None, "s1"], dtype="str")})
    result = clean_wave(frame, codebook, QualitySettings(exclusion_rules=("duplicate_submission",)), survey_year=2025)
    assert result.exclusions.empty and len(result.analysed) == 4


# ---- 6. headers --------------------------------------------------------------------------------

def test_headers_match_whatever_their_case_accents_spaces_or_group(tmp_path, codebook):
    path = write(tmp_path, "SUBMISSION_ID;Identification/Registry_Number; profil / SECTOR ;Région\n"
                           "s1;RC-1;Services;Tanger-Tétouan\n")
    frame, provenance = ingest(path, "csv", codebook)
    assert frame[["sector", "region"]].values.tolist() == [["services", "tanger_tetouan"]]
    assert provenance["ignored_columns"] == []


def test_a_header_repeated_under_another_spelling_names_both(tmp_path, codebook):
    path = write(tmp_path, "submission_id,registry_number,Sector,profil/SECTOR\ns1,RC-1,Services,Services\n")
    with pytest.raises(IngestError, match=r"columns \['sector'\] appear more than once \(headers 'Sector', "
                                          r"'profil/SECTOR'"):
        ingest(path, "csv", codebook)


def test_a_model_variable_absent_from_a_whole_wave_stops_before_any_model(codebook):
    config = {"choice": {"outcome": "governance_form", "formula": "trust + C(sector, Treatment('services'))"},
              "performance": {"outcome": "employee_growth", "form": "governance_form", "formula": "trust",
                              "derived": {"employee_growth": "log(employees_now / employees_start)"}},
              "misalignment": {"outcome": "employee_growth", "controls": "trust"}}
    variables = model_variables(config, codebook)
    assert variables["trust"]["needs"] == {"at_least": 2, "of": ["tr1", "tr2", "tr3"]}
    assert variables["employee_growth"]["needs"] == {"at_least": 2, "of": ["employees_now", "employees_start"]}
    full = pd.DataFrame({"governance_form": ["licensing"], "sector": ["textile"], "tr1": [4.0], "tr2": [3.0],
                         "tr3": [np.nan], "employees_now": [12.0], "employees_start": [10.0]})
    check_model_variables({"w2024": full}, variables)
    renamed = full.drop(columns=["tr1", "tr2", "tr3"]).assign(confiance1=4.0)   # a crosswalk forgotten
    blank = full.assign(sector=pd.Series([None], dtype="str"))                   # every answer missing
    with pytest.raises(ValueError, match=r"wave 'w2027' \(1 analysed responses\): 'trust' \(choice.formula, "
                                         r"performance.formula, misalignment.controls\) needs at least 2 of tr1, "
                                         r"tr2, tr3 answered \(answered: none\).*wave 'w2028'.*'sector'"):
        check_model_variables({"w2024": full, "w2027": renamed, "w2028": blank}, variables)


def test_the_shipped_configs_model_variables_are_traced_to_the_codebook(codebook):
    import yaml

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    variables = model_variables(config, codebook)
    assert set(variables) >= {"governance_form", "asset_specificity", "trust", "sector", "performance_index",
                              "partner_distance"}
    index = variables["performance_index"]["needs"]
    assert index["at_least"] == 4 and "revenue_trend" in index["of"]


# ---- 7. CSV -------------------------------------------------------------------------------------

def test_a_200_kb_cell_is_legal(tmp_path, codebook):
    cell = "é" * 200_000
    path = write(tmp_path, HEADER.rstrip("\n") + ",comment\n" + f's1,RC-1,yes,30,Services,12,4,"{cell}"\n')
    frame, _ = ingest(path, "csv", codebook)
    assert len(frame) == 1 and "comment" not in frame        # read, then dropped as free text


def test_a_short_row_is_counted_flagged_and_excluded_never_padded_silently(tmp_path, codebook):
    path = write(tmp_path, HEADER + "s1,RC-1,yes,30,Services,12,4\ns2,RC-2,yes,30\ns3,RC-3,yes,30,Services\n")
    frame, provenance = ingest(path, "csv", codebook)
    assert provenance["short_rows"] == 2 and frame["short_row"].tolist() == ["", "4 of 7 fields", "5 of 7 fields"]
    result = clean_wave(frame, codebook, QualitySettings(), survey_year=2025)
    assert result.exclusions["rule"].tolist() == ["short_row", "short_row"]
    assert len(result.analysed) + len(result.exclusions) == len(frame)


def test_the_waves_sheet_delimiter_overrides_the_sniffed_one(tmp_path, codebook):
    path = write(tmp_path, "submission_id|registry_number|sector\ns1|RC-1|Services\n")
    with pytest.raises(IngestError, match="name the file's delimiter"):
        ingest(path, "csv", codebook)
    frame, provenance = ingest(path, "csv", codebook, delimiter="|")
    assert frame["sector"].tolist() == ["services"] and provenance["delimiter_declared"]
    path = write(tmp_path, "submission_id;registry_number;sector\ns1;RC-1;Services\n")
    with pytest.raises(IngestError, match="required columns"):   # split at the comma, as declared
        ingest(path, "csv", codebook, delimiter=",")


def test_a_file_in_cp1252_throughout_is_read_as_cp1252(tmp_path, codebook):
    path = write(tmp_path, "submission_id;registry_number;region;sector\ns1;RC-1;Meknès-Tafilalet;Services\n"
                           "s2;RC-2;Rabat-Salé-Kénitra;Textile-habillement\n", encoding="cp1252")
    frame, provenance = ingest(path, "csv", codebook)
    assert provenance["encoding"] == "cp1252" and frame["region"].tolist() == ["meknes_tafilalet", "rabat_sale"]


def test_a_crosswalk_renaming_onto_an_existing_column_names_both(tmp_path, codebook):
    path = write(tmp_path, "submission_id,registry_number,secteur,sector\ns1,RC-1,Services,Services\n")
    crosswalk = pd.DataFrame({"source": ["secteur"], "variable": ["sector"], "source_value": [""], "value": [""]})
    with pytest.raises(IngestError, match="renames column 'secteur' to 'sector', but the file already has a column "
                                          "'sector'"):
        ingest(path, "csv", codebook, crosswalk=crosswalk)
    path = write(tmp_path, "submission_id,registry_number,secteur,branche\ns1,RC-1,Services,Services\n")
    crosswalk = pd.DataFrame({"source": ["secteur", "branche"], "variable": ["sector", "sector"],
                              "source_value": ["", ""], "value": ["", ""]})
    with pytest.raises(IngestError, match=r"renames the columns \['secteur', 'branche'\] all to 'sector'"):
        ingest(path, "csv", codebook, crosswalk=crosswalk)


# ---- 1. Excel -----------------------------------------------------------------------------------

def test_the_sheet_read_goes_into_provenance_and_an_empty_second_sheet_is_no_ambiguity(tmp_path, codebook):
    book = openpyxl.Workbook()
    book.active.title = "answers"
    book.active.append(["submission_id", "registry_number"])
    book.active.append(["s1", "RC-1"])
    book.create_sheet("empty")
    book.save(tmp_path / "w.xlsx")
    _, provenance = ingest(tmp_path / "w.xlsx", "xlsx", codebook)
    assert provenance["sheet"] == "answers"


# ---- 2. SPSS and Stata value labels ---------------------------------------------------------------

def test_swapped_codes_read_through_a_crosswalk_that_the_labels_confirm(tmp_path, codebook):
    frame = pd.DataFrame({"submission_id": ["s1", "s2"], "registry_number": ["R1", "R2"], "secteur": [1.0, 2.0]})
    crosswalk = pd.DataFrame({"source": ["secteur", "", ""], "variable": ["sector", "sector", "sector"],
                              "source_value": ["", "1", "2"], "value": ["", "services", "textile"]})
    agreeing = {"secteur": {1.0: "Services", 2.0: "Textile-habillement"}}
    pyreadstat.write_dta(frame, str(tmp_path / "w.dta"), variable_value_labels=agreeing)
    read, _ = ingest(tmp_path / "w.dta", "dta", codebook, crosswalk=crosswalk)
    assert read["sector"].tolist() == ["services", "textile"]
    contradicting = {"secteur": {1.0: "Textile-habillement", 2.0: "Services"}}
    pyreadstat.write_dta(frame, str(tmp_path / "w.dta"), variable_value_labels=contradicting)
    with pytest.raises(IngestError, match=r"variable 'sector', code 1: file label 'Textile-habillement', the "
                                          r"crosswalk recodes it to 'services'"):
        ingest(tmp_path / "w.dta", "dta", codebook, crosswalk=crosswalk)


def test_likert_and_missing_code_labels_that_agree_change_nothing(tmp_path, codebook):
    frame = pd.DataFrame({"submission_id": ["s1", "s2"], "registry_number": ["R1", "R2"], "as1": [4.0, 99.0]})
    labels = {"as1": {4.0: "Plutôt d'accord", 99.0: "Ne sait pas"}}
    pyreadstat.write_sav(frame, str(tmp_path / "w.sav"), variable_value_labels=labels)
    read, provenance = ingest(tmp_path / "w.sav", "sav", codebook)
    assert read["as1"].tolist() == [4.0, 99.0] and provenance["codes_read_by_label"] == 0


# ---- 8. the pseudonymisation key ----------------------------------------------------------------

@pytest.mark.parametrize("value,state", [("", "is empty"), ("short-key", "is 9 bytes long")])
def test_an_empty_or_short_key_in_the_environment_stops_and_says_how_to_supply_one(monkeypatch, value, state):
    monkeypatch.setenv("ALLIANCEGOV_HMAC_KEY", value)
    with pytest.raises(KeyProblem, match=f"environment variable ALLIANCEGOV_HMAC_KEY\\) {state}.*token_hex"):
        load_pseudonymisation_key()


@pytest.mark.parametrize("content,message", [(b"", "is empty"), (b"  \n", "is empty"), (b"0123456789", "10 bytes"),
                                             (b"\xff\xfe\x00k", "cannot read the key file")])
def test_an_empty_short_or_unreadable_key_file_stops(tmp_path, monkeypatch, content, message):
    monkeypatch.delenv("ALLIANCEGOV_HMAC_KEY")
    path = tmp_path / "hmac.key"
    path.write_bytes(content)
    with pytest.raises(KeyProblem, match=message):
        load_pseudonymisation_key(path)
    assert path.read_bytes() == content            # never replaced by a new key


def test_a_key_file_that_is_a_folder_or_under_an_unusable_home_stops(tmp_path, monkeypatch):
    monkeypatch.delenv("ALLIANCEGOV_HMAC_KEY")
    (tmp_path / "folder.key").mkdir()
    with pytest.raises(KeyProblem, match="cannot read the key file"):
        load_pseudonymisation_key(tmp_path / "folder.key")
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("a file where the home folder should be")
    monkeypatch.setenv("HOME", str(not_a_folder))
    with pytest.raises(KeyProblem, match="cannot create the key file .*is the home folder usable"):
        load_pseudonymisation_key()


def test_the_fingerprint_identifies_the_key_without_revealing_it(tmp_path, codebook):
    key = b"0123456789abcdef0123"
    path = write(tmp_path, "submission_id,registry_number\ns1,RC-1\n")
    _, provenance = ingest(path, "csv", codebook, key=key)
    assert provenance["key_fingerprint"] == key_fingerprint(key) != key_fingerprint(key + b"!")
    assert key.decode() not in json.dumps(provenance) and len(provenance["key_fingerprint"]) == 16


def test_waves_keyed_differently_are_refused_naming_them():
    check_key_fingerprints([{"wave": "w1", "key_fingerprint": "aa"}, {"wave": "w2", "key_fingerprint": "aa"}])
    with pytest.raises(IngestError, match="waves w1, w3 with key aa; waves w2 with key bb"):
        check_key_fingerprints([{"wave": "w1", "key_fingerprint": "aa"}, {"wave": "w2", "key_fingerprint": "bb"},
                                {"wave": "w3", "key_fingerprint": "aa"}])


def test_the_pool_rule_checks_keys_and_model_variables(tmp_path, codebook):
    from alliancegov.pool import run

    frame = pd.DataFrame({"wave": "w1", "source_row": [2], "firm_key": ["f"], "submission_id": ["s1"],
                          "sector": ["textile"]})
    inputs = {name: [] for name in ("data", "exclusions", "flow", "nonresponse", "respondents", "provenance")}
    for wave, fingerprint in (("w1", "aa"), ("w2", "bb")):
        result = clean_wave(frame.assign(wave=wave), codebook, QualitySettings(), survey_year=2025)
        paths = {name: str(tmp_path / f"{wave}_{name}") for name in ("data", *result.TABLES)}
        result.write(paths["data"], **{name: paths[name] for name in result.TABLES})
        for name in ("data", "exclusions", "flow", "nonresponse", "respondents"):
            inputs[name].append(paths["data" if name == "data" else name])
        (tmp_path / f"{wave}.json").write_text(json.dumps({"wave": wave, "key_fingerprint": fingerprint}))
        inputs["provenance"].append(str(tmp_path / f"{wave}.json"))
    outputs = {name: str(tmp_path / f"pooled_{name}") for name in
               ("data", "sample_flow", "exclusions", "nonresponse", "respondents")}
    with pytest.raises(IngestError, match="different keys"):
        run(**inputs, outputs=outputs, rules=list(QualitySettings().exclusion_rules))
    (tmp_path / "w2.json").write_text(json.dumps({"wave": "w2", "key_fingerprint": "aa"}))
    with pytest.raises(ValueError, match=r"wave 'w1' \(1 analysed responses\): 'trust'"):
        run(**inputs, outputs=outputs, rules=list(QualitySettings().exclusion_rules),
            model_variables={"trust": {"fields": ["choice.formula"], "needs": {"at_least": 2, "of": ["tr1", "tr2"]}}})
    pooled = run(**inputs, outputs=outputs, rules=list(QualitySettings().exclusion_rules),
                 model_variables={"sector": {"fields": ["choice.formula"], "needs": "sector"}})
    assert len(pooled.analysed) == 2


# ---- 9. nothing identifying is published ---------------------------------------------------------

def test_a_quarantined_answers_text_stays_in_the_interim_file(tmp_path, codebook):
    secret = "Société Atlas, M. Benali, 0612345678"
    path = write(tmp_path, f'submission_id,registry_number,sector\ns1,RC-1,"{secret}"\ns2,RC-2,Services\n')
    settings = IngestSettings("registry_number", ("submission_id",), unknown_values="quarantine")
    frame, _ = ingest(path, "csv", codebook, settings=settings)
    assert secret in frame["quarantined_raw"].iloc[0]
    result = clean_wave(frame, codebook, QualitySettings(exclusion_rules=("unknown_value",)), survey_year=2025)
    published = result.exclusions.to_csv() + result.flow.to_csv() + result.analysed.to_csv()
    assert secret not in published and "0612345678" not in published
    assert result.exclusions["offending"].tolist() == [f"unknown value in sector, {len(secret)} characters"]
    assert "quarantined_raw" not in result.analysed


# ---- 10. the waves sheet ------------------------------------------------------------------------

WAVES_HEADER = "wave\tyear\tformat\tfile\tdescription\n"


def sheet(tmp_path, text):
    path = tmp_path / "waves.tsv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text,message", [
    ("wave year format file\nw1 2024 csv a.csv\n", "line 1: the header is separated by spaces, not tabs"),
    (WAVES_HEADER + "w1 2024 csv data/a.csv first\n", r"line 2 has 1 tab-separated cells but the header has 5 "
                                                      r"\(spaces instead of tabs\?\)"),
    (WAVES_HEADER + "w1 2024 csv\tdata/a.csv\tfirst\n", r"line 2 has 3 tab-separated cells but the header has 5 "
                                                        r"\(spaces instead of tabs\?\)"),
    (WAVES_HEADER + "w1\t2024\tcsv\tdata/a.csv\n", "line 2 has 4 tab-separated cells but the header has 5; leave an "
                                                   "undeclared cell empty but keep its tab"),
    (WAVES_HEADER + "w1\t2024\tcsv\tdata/a.csv\tfirst\textra\n", "line 2 has 6 tab-separated cells"),
    ("wave\tyear\tformat\tfile\tcomment\nw1\t2024\tcsv\ta.csv\tx\n", r"unknown columns \['comment'\]"),
    ("wave\tyear\tfile\nw1\t2024\ta.csv\n", r"required columns \['format'\] are missing"),
    (WAVES_HEADER + "w1\t2024\tcsv\t\tfirst\n", r"line 2: required cells \['file'\] are empty"),
    (WAVES_HEADER + "w1\t2024.0\tcsv\ta.csv\tx\n", "year '2024.0' is not a whole number"),
    (WAVES_HEADER + "w1\t2024\tjson\ta.csv\tx\n", "unknown format 'json'"),
    ("wave\tyear\tformat\tfile\tlocale\nw1\t2024\tcsv\ta.csv\tde\n", "line 2 \\(wave 'w1'\\): unknown locale 'de'"),
    ("wave\tyear\tformat\tfile\tdelimiter\nw1\t2024\tcsv\ta.csv\t#\n", "unknown delimiter '#'"),
    ("wave\tyear\tformat\tfile\tframe_size\nw1\t2024\tcsv\ta.csv\t1 200\n",
     "line 2 \\(wave 'w1'\\): frame_size '1 200' is not a positive whole number"),
])
def test_a_malformed_waves_sheet_is_refused_naming_the_line(tmp_path, text, message):
    with pytest.raises(WavesSheetError, match=message):
        read_waves_sheet(sheet(tmp_path, text))


@pytest.mark.parametrize("file,declared,content", [
    ("wave_2025.xlsx", "csv", "an Excel .xlsx workbook: set its format to xlsx"),
    ("wave_2026.sav", "dta", "an SPSS .sav file: set its format to sav"),
    ("wave_2024.csv", "sav", r"a text \(CSV\) file: set its format to csv"),
])
def test_a_format_that_contradicts_the_files_content_is_refused(tmp_path, monkeypatch, file, declared, content):
    monkeypatch.chdir(ROOT)
    path = sheet(tmp_path, WAVES_HEADER + f"w1\t2024\t{declared}\tdata/raw/{file}\tx\n")
    with pytest.raises(WavesSheetError, match=f"line 2 \\(wave 'w1', file data/raw/{file}\\): declared '{declared}' "
                                              f"in the waves sheet but the file is {content}"):
        read_waves_sheet(path)


def test_the_shipped_waves_sheet_carries_every_optional_column(monkeypatch):
    monkeypatch.chdir(ROOT)
    header = (ROOT / "config" / "waves.tsv").read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert set(OPTIONAL_COLUMNS) <= set(header)
    waves = read_waves_sheet("config/waves.tsv")
    assert waves["year"].tolist() == [2024, 2025, 2026] and waves.loc[1, "sheet"] == "responses"


def test_a_quoted_description_with_tabs_and_quotes_survives(tmp_path):
    text = WAVES_HEADER + 'w1\t2024\tcsv\ta.csv\t"=HYPERLINK(""x"") \t <b>"\n'
    waves = read_waves_sheet(sheet(tmp_path, text), check_files=False)
    assert waves.loc[0, "description"] == '=HYPERLINK("x") \t <b>'


def test_the_example_project_sheet_with_fewer_columns_reads(monkeypatch):
    monkeypatch.chdir(ROOT / "examples" / "anes96")
    waves = read_waves_sheet("config/waves.tsv")
    assert waves.loc[0, "locale"] == "" and list(waves.columns)[:4] == ["wave", "year", "format", "file"]
    assert os.fspath(waves.loc[0, "file"]) == "data/raw/anes96.csv"


def test_an_old_label_wording_is_declared_in_the_crosswalk(tmp_path, codebook):
    frame = pd.DataFrame({"submission_id": ["s1", "s2"], "registry_number": ["R1", "R2"], "sector": [1.0, 2.0]})
    pyreadstat.write_sav(frame, str(tmp_path / "w.sav"),
                         variable_value_labels={"sector": {1.0: "Textile et confection", 2.0: "Services"}})
    with pytest.raises(IngestError, match="code 1: file label 'Textile et confection', codebook label"):
        ingest(tmp_path / "w.sav", "sav", codebook)
    crosswalk = pd.DataFrame({"source": [""], "variable": ["sector"], "source_value": ["Textile et confection"],
                              "value": ["textile"]})
    read, _ = ingest(tmp_path / "w.sav", "sav", codebook, crosswalk=crosswalk)
    assert read["sector"].tolist() == ["textile", "services"]

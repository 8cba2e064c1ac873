import pandas as pd
import pytest

from alliancegov.ingest.cells import IngestError, canonical_column
from alliancegov.ingest.pseudonymise import firm_keys, load_pseudonymisation_key
from alliancegov.ingest.stage import IngestSettings, WaveOptions, ingest_wave
from alliancegov.simulate.exports import write_kobo_csv
from alliancegov.simulate.mess import add_mess

SETTINGS = IngestSettings("registry_number", ("submission_id", "registry_number"))


def ingest(path, fmt, codebook, key=b"k", **options):
    return ingest_wave(
        path, fmt, "w2025", codebook, key=key, settings=SETTINGS, options=WaveOptions(**options)
    )


@pytest.fixture
def kobo_file(codebook, small_waves, tmp_path):
    messy, _ = add_mess(small_waves[0], codebook, seed=5)
    path = tmp_path / "kobo.csv"
    write_kobo_csv(messy, path, codebook)
    return path


def test_kobo_export_is_read_with_provenance(kobo_file, codebook):
    frame, provenance = ingest(kobo_file, "kobo_csv", codebook)
    assert provenance["delimiter"] == ";" and provenance["encoding"] == "utf-8"
    assert provenance["rows"] == len(frame) and len(provenance["sha256"]) == 64
    assert provenance["ignored_columns"] == ["_id", "_index"]
    assert frame["source_row"].iloc[0] == 2
    assert set(frame["governance_form"].dropna()) <= set(codebook.answer_names("governance_form"))
    assert frame["as1"].dropna().isin([1, 2, 3, 4, 5, 97, 98, 99]).all()


def test_identifying_fields_never_leave_ingest(kobo_file, codebook, small_waves):
    frame, _ = ingest(kobo_file, "kobo_csv", codebook)
    for column in codebook.of_role("identifying"):
        assert column not in frame
    text = frame.astype(str).to_csv()
    for value in small_waves[0][["firm_name", "email", "phone", "registry_number"]].to_numpy().ravel()[:50]:
        assert value not in text


def test_firm_keys_are_keyed_stable_and_normalised():
    ids = pd.Series(["RC-CASA-100001", " rc-casa-100001 ", "RC-CASA-100002"])
    subs = pd.Series(["a", "b", "c"])
    keys = firm_keys(ids, subs, b"one")
    assert keys[0] == keys[1] != keys[2]
    assert firm_keys(ids, subs, b"two")[0] != keys[0]
    blank = firm_keys(pd.Series([None, None]), pd.Series(["a", "b"]), b"one")
    assert blank[0] != blank[1]


def test_key_file_is_created_once_outside_results(tmp_path, monkeypatch):
    monkeypatch.delenv("ALLIANCEGOV_HMAC_KEY")
    path = tmp_path / "secret" / "hmac.key"
    key = load_pseudonymisation_key(path)
    assert path.exists() and oct(path.stat().st_mode)[-3:] == "600"
    assert load_pseudonymisation_key(path) == key and len(key) == 64


def test_group_prefixes_and_kobo_names():
    assert canonical_column("profil/sector") == "sector"
    assert canonical_column("a/b/as1") == "as1"
    assert canonical_column("_uuid") == "submission_id"


def write_csv_text(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "wave.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_unknown_label_names_file_row_column_and_value(tmp_path, codebook):
    path = write_csv_text(tmp_path, "submission_id,registry_number,sector\ns1,RC1,Textile-habillement\ns2,RC2,Mines\n")
    with pytest.raises(IngestError, match=r"wave\.csv.*row 3, column 'sector': unknown value 'Mines'"):
        ingest(path, "csv", codebook)


def test_labels_match_regardless_of_case_accents_and_spaces(tmp_path, codebook):
    path = write_csv_text(
        tmp_path,
        "submission_id;registry_number;technology_level;as1;employees_now\n"
        "s1;RC1;  ELEVE ;plutot d'accord;1 234\ns2;RC2;Low;Ne sait pas;12,0\n",
    )
    # French notation, declared (it used to be guessed): "12,0" is twelve
    frame, provenance = ingest(path, "csv", codebook, locale="fr")
    assert provenance["delimiter"] == ";"
    assert frame["technology_level"].tolist() == ["high", "low"]
    assert frame["as1"].tolist() == [4.0, 99.0]
    assert frame["employees_now"].tolist() == [1234.0, 12.0]


def test_cp1252_is_detected_and_undecodable_bytes_refused(tmp_path, codebook):
    path = write_csv_text(tmp_path, "submission_id,registry_number,region\ns1,RC1,Meknès-Tafilalet\n", "cp1252")
    frame, provenance = ingest(path, "csv", codebook)
    assert provenance["encoding"] == "cp1252" and frame["region"].tolist() == ["meknes_tafilalet"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"submission_id,registry_number,comment\ns1,RC1,\x81\x8d\n")
    with pytest.raises(IngestError, match="neither UTF-8 nor cp1252"):
        ingest(bad, "csv", codebook)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("submission_id,registry_number\n", "no responses"),
        ("submission_id,sector\ns1,Services\n", r"required columns \['registry_number'\]"),
        ("submission_id,registry_number,profil/sector,sector\ns1,RC1,Services,Services\n", "more than once"),
        ("submission_id,registry_number,employees_now\ns1,RC1,douze\n", "row 2, column 'employees_now'"),
    ],
)
def test_broken_files_fail_with_a_clear_message(tmp_path, codebook, text, message):
    path = write_csv_text(tmp_path, text)
    with pytest.raises(IngestError, match=message):
        ingest(path, "csv", codebook)


def test_missing_file_names_the_wave(tmp_path, codebook):
    with pytest.raises(IngestError, match="wave 'w2025' file not found"):
        ingest(tmp_path / "nowhere.csv", "csv", codebook)


def test_absent_variables_are_missing_by_design(tmp_path, codebook):
    path = write_csv_text(tmp_path, "submission_id,registry_number,sector\ns1,RC1,Services\n")
    frame, provenance = ingest(path, "csv", codebook)
    assert "as1" in provenance["absent_columns"] and frame["as1"].isna().all()


def test_codebook_and_bundled_waves_agree(codebook):
    """Every bundled wave reads completely: no unknown column but Kobo's row ids, no codebook variable absent."""
    from tests.conftest import ROOT

    waves = pd.read_csv(ROOT / "config" / "waves.tsv", sep="\t")
    for wave in waves.itertuples():
        frame, provenance = ingest_wave(
            ROOT / wave.file,
            wave.format,
            wave.wave,
            codebook,
            key=b"k",
            settings=SETTINGS,
        )
        assert provenance["absent_columns"] == [], wave.wave
        assert set(provenance["ignored_columns"]) <= {"_id", "_index"}, wave.wave
        assert provenance["instrument_versions"] == [f"{wave.year}.1"]
        for variable in codebook.of_type("select_one"):
            allowed = set(codebook.answer_names(variable)) | set(codebook.missing_codes(variable).values())
            assert set(frame[variable].dropna()) <= allowed, (wave.wave, variable)


def test_crosswalk_renames_drops_and_recodes(tmp_path, codebook):
    path = write_csv_text(tmp_path, "submission_id,registry_number,secteur,ancienne_question,employees_now\n"
                                    "s1,RC1,TXT,oui,12\ns2,RC2,Services,non,5\n")
    crosswalk = pd.DataFrame({"source": ["secteur", "ancienne_question", ""],
                              "variable": ["sector", "", "sector"],
                              "source_value": ["", "", "txt"],
                              "value": ["", "", "textile"]})
    frame, provenance = ingest_wave(path, "csv", "w2025", codebook, key=b"k", settings=SETTINGS, crosswalk=crosswalk)
    assert frame["sector"].tolist() == ["textile", "services"]
    assert provenance["crosswalk"] == {"renamed": {"secteur": "sector"}, "dropped": ["ancienne_question"],
                                       "values_recoded": 1}
    assert "ancienne_question" not in frame and provenance["ignored_columns"] == []


def test_quarantine_keeps_reading_and_describes_the_value(tmp_path, codebook):
    path = write_csv_text(tmp_path, "submission_id,registry_number,sector,as1\ns1,RC1,Mines,Bof\ns2,RC2,Services,4\n")
    settings = IngestSettings("registry_number", ("submission_id",), unknown_values="quarantine")
    frame, provenance = ingest_wave(path, "csv", "w2025", codebook, key=b"k", settings=settings)
    # the published description gives the length, never the text; the text stays in the interim file
    assert frame["unknown_values"].tolist() == [
        "unknown value in sector, 5 characters; unknown value in as1, 3 characters", ""]
    assert frame["quarantined_raw"].tolist() == ["sector='Mines'; as1='Bof'", ""]
    assert frame["sector"].isna().tolist() == [True, False] and provenance["quarantined_rows"] == 1


def test_select_multiple_as_joined_names_or_kobo_choice_columns(tmp_path, codebook):
    joined = write_csv_text(tmp_path, "submission_id;registry_number;profil/distribution_channels\n"
                                      "s1;RC1;online large_partner\ns2;RC2;Ne sait pas\ns3;RC3;\n")
    frame, _ = ingest(joined, "csv", codebook)
    assert frame["distribution_channels"].tolist()[:2] == ["large_partner online", "dont_know"]
    assert pd.isna(frame["distribution_channels"].iloc[2])
    columns = "submission_id;registry_number;" + ";".join(
        f"profil/distribution_channels/{c}" for c in ["large_partner", "distributors", "online"])
    dichotomies = write_csv_text(tmp_path, columns + "\ns1;RC1;1;0;1\ns2;RC2;1;0;0\ns3;RC3;;;\n")
    frame, provenance = ingest(dichotomies, "csv", codebook)
    assert frame["distribution_channels"].tolist()[:2] == ["large_partner online", "large_partner"]
    assert pd.isna(frame["distribution_channels"].iloc[2])
    assert len(provenance["select_multiple_columns"]) == 3 and provenance["ignored_columns"] == []
    unknown = write_csv_text(tmp_path, "submission_id;registry_number;distribution_channels\ns1;RC1;online fax\n")
    with pytest.raises(IngestError, match="row 2, column 'distribution_channels': unknown value 'online fax'"):
        ingest(unknown, "csv", codebook)


def test_crosswalk_recodes_numeric_codes_of_a_stata_file(tmp_path, codebook):
    """A new instrument swapped the sector codes (1 = services): Stata stores them as 1.0 and 2.0,
    and the crosswalk's "1" and "2" must still match them."""
    import pyreadstat

    path = tmp_path / "wave.dta"
    pyreadstat.write_dta(pd.DataFrame({"submission_id": ["s1", "s2", "s3"], "registry_number": ["R1", "R2", "R3"],
                                       "secteur": [1.0, 2.0, 1.0]}), str(path))
    crosswalk = pd.DataFrame({"source": ["secteur", "", ""], "variable": ["sector", "sector", "sector"],
                              "source_value": ["", "1", "2"], "value": ["", "services", "textile"]})
    frame, provenance = ingest_wave(path, "dta", "w2027", codebook, key=b"k", settings=SETTINGS, crosswalk=crosswalk)
    assert frame["sector"].tolist() == ["services", "textile", "services"]
    assert provenance["crosswalk"]["values_recoded"] == 3

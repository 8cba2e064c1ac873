"""The corpus of broken inputs in tests/data/broken: each file's exact outcome is in manifest.csv.

``outcome`` is ``error`` (an IngestError whose message names the file and matches ``expected``),
``excluded`` (read, then excluded by the cleaning stage: ``rule:submission_id:offending values``)
or ``ok`` (read as described: ``key=value`` pairs, ``|`` between rows). ``options`` are the waves
sheet's cells for the file (``locale=fr;sheet=Data``), empty for none.
"""

from pathlib import Path

import pandas as pd
import pytest

from alliancegov.clean.quality import QualitySettings
from alliancegov.clean.stage import clean_wave
from alliancegov.ingest.cells import IngestError
from alliancegov.ingest.stage import IngestSettings, WaveOptions, ingest_wave

BROKEN = Path(__file__).parent / "data" / "broken"
MANIFEST = pd.read_csv(BROKEN / "manifest.csv", keep_default_na=False).to_dict("records")


def read(case, codebook):
    settings = IngestSettings("registry_number", ("submission_id", "registry_number"), case["policy"])
    options = WaveOptions.from_sheet(dict(pair.split("=", 1) for pair in case["options"].split(";") if pair))
    return ingest_wave(BROKEN / case["file"], case["format"], "w2025", codebook, key=b"k", settings=settings,
                       options=options)


def test_the_corpus_is_large_enough():
    assert len(MANIFEST) >= 25
    assert {case["outcome"] for case in MANIFEST} == {"error", "excluded", "ok"}


@pytest.mark.parametrize("case", MANIFEST, ids=[case["file"] for case in MANIFEST])
def test_broken_input_has_its_documented_outcome(case, codebook):
    if case["outcome"] == "error":
        with pytest.raises(IngestError, match=case["expected"]) as caught:
            read(case, codebook)
        assert case["file"] in str(caught.value)
        return
    frame, provenance = read(case, codebook)
    if case["outcome"] == "ok":
        for pair in case["expected"].split(";"):
            key, expected = pair.split("=")
            if key in provenance:
                assert str(provenance[key]) == expected, key
            else:
                assert "|".join(f"{v:g}" for v in frame[key]) == expected, key
        return
    rule, submission, offending = case["expected"].split(":", 2)
    result = clean_wave(frame, codebook, QualitySettings(), survey_year=2025)
    assert result.exclusions[["submission_id", "rule", "offending"]].values.tolist() == [[submission, rule, offending]]
    assert len(result.analysed) + len(result.exclusions) == len(frame)

from pathlib import Path

import pytest

from alliancegov.codebook import Codebook
from alliancegov.simulate import simulate_waves

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK_DIR = ROOT / "config" / "codebook"
RAW_DIR = ROOT / "data" / "raw"


@pytest.fixture(autouse=True)
def hmac_key(monkeypatch):
    """Tests never touch the user's real pseudonymisation key file."""
    monkeypatch.setenv("ALLIANCEGOV_HMAC_KEY", "test-key-not-secret")
    return b"test-key-not-secret"


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return Codebook.from_dir(CODEBOOK_DIR)


@pytest.fixture(scope="session")
def small_waves(codebook):
    """Three clean simulated waves of 120 firms, with truth columns."""
    return simulate_waves(120, [2024, 2025, 2026], seed=7, codebook=codebook)

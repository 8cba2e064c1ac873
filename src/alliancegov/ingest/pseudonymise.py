"""Pseudonymous firm keys: a keyed hash of the firm identifier, so that the same firm is linked
across waves without its identifier reaching any later file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from alliancegov.codebook import normalise_label
from alliancegov.ingest.cells import is_blank

DEFAULT_KEY_FILE = Path("~/.config/alliancegov/hmac.key")


KEY_ENV = "ALLIANCEGOV_HMAC_KEY"


def load_pseudonymisation_key(key_file: str | Path | None = None) -> bytes:
    """The secret key of the firm pseudonyms.

    The key stays outside the repository and ``results/``; keep it to link later waves to earlier
    ones.

    Parameters
    ----------
    key_file : str or Path or None, default=None
        Where the key is kept when the environment variable ``ALLIANCEGOV_HMAC_KEY`` is not set
        (default ``~/.config/alliancegov/hmac.key``); created with a random key (64 hex
        characters, readable by the owner only) on first use.

    Returns
    -------
    bytes
        The key, UTF-8 encoded: the environment variable's value if set, else the file's text.
    """
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    path = Path(key_file or DEFAULT_KEY_FILE).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def firm_keys(identifiers: pd.Series, fallback: pd.Series, key: bytes) -> pd.Series:
    """Pseudonymous firm keys: HMAC-SHA256 of the normalised identifier, 16 hex characters.

    Rows without an identifier get a key from their submission id (``fallback``), so they are
    never pooled with another firm.

    Parameters
    ----------
    identifiers : Series
        The firm identifier of each response (blank where unknown); case, accents and spaces are
        normalised before hashing.
    fallback : Series
        The submission id (or another per-response label) of each row, same length.
    key : bytes
        The secret key (:func:`load_pseudonymisation_key`).

    Returns
    -------
    Series
        One 16-character hex key per row, on ``identifiers``' index.
    """
    def one(identifier: object, submission: object) -> str:
        text = f"firm:{normalise_label(identifier)}" if not is_blank(identifier) else f"submission:{submission}"
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    return pd.Series([one(i, s) for i, s in zip(identifiers, fallback)], index=identifiers.index, dtype="str")

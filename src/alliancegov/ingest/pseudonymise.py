"""Pseudonymous firm keys: a keyed hash of the firm identifier, so that the same firm is linked
across waves without its identifier reaching any later file.

The key is checked before it is used: an empty or short key (a file emptied by mistake, an
environment variable set to nothing) would give pseudonyms anyone can recompute, and a key that
changes between waves would silently cut every panel link. Each wave's provenance record carries
the key's fingerprint (a keyed hash of a fixed label: it does not reveal the key), and the pool
stage refuses waves keyed differently.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from alliancegov.codebook.labels import normalise_label
from alliancegov.ingest.cells import IngestError
from alliancegov.ingest.identifiers import text_value

DEFAULT_KEY_FILE = Path("~/.config/alliancegov/hmac.key")


KEY_ENV = "ALLIANCEGOV_HMAC_KEY"


MIN_KEY_BYTES = 16


FINGERPRINT_LABEL = b"alliancegov key fingerprint v1"


HOW_TO_SUPPLY = ("Supply the key the earlier waves used: export ALLIANCEGOV_HMAC_KEY=... or put it in the key file "
                 "(ingest.key_file); for a first wave, create one with "
                 "python -c \"import secrets; print(secrets.token_hex(32))\" > ~/.config/alliancegov/hmac.key "
                 "&& chmod 600 ~/.config/alliancegov/hmac.key")


class KeyProblem(IngestError):
    """The pseudonymisation key is missing, unreadable or too short; the message says how to supply one."""


def _checked(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        state = "empty" if not key else f"{len(key)} bytes long"
        raise KeyProblem(f"the pseudonymisation key ({where}) is {state}; it must be at least {MIN_KEY_BYTES} "
                         f"bytes. {HOW_TO_SUPPLY}")
    return key


def load_pseudonymisation_key(key_file: str | Path | None = None) -> bytes:
    """The secret key of the firm pseudonyms.

    The key stays outside the repository and ``results/``; keep it to link later waves to earlier
    ones.

    Parameters
    ----------
    key_file : str or Path or None, default=None
        Where the key is kept when the environment variable ``ALLIANCEGOV_HMAC_KEY`` is not set
        (default ``~/.config/alliancegov/hmac.key``); created with a random key (64 hex
        characters, readable by the owner only) when the file does not exist.

    Returns
    -------
    bytes
        The key, UTF-8 encoded: the environment variable's value if set, else the file's text
        (surrounding whitespace removed).

    Raises
    ------
    KeyProblem
        If the environment variable is set but empty or shorter than 16 bytes, the home folder is
        unknown or not writable when the file must be created, or the file cannot be read, is not
        UTF-8 text, is empty or shorter than 16 bytes; the message says how to supply a key.
    """
    if KEY_ENV in os.environ:
        return _checked(os.environ[KEY_ENV].encode("utf-8"), f"environment variable {KEY_ENV}")
    try:
        path = Path(key_file or DEFAULT_KEY_FILE).expanduser()
    except RuntimeError as error:   # no HOME and no password entry: "~" means nothing
        raise KeyProblem(f"the key file {key_file or DEFAULT_KEY_FILE} is under a home folder that cannot be "
                         f"found ({error}). {HOW_TO_SUPPLY}") from error
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as handle:   # never overwrite a key created meanwhile
                handle.write(secrets.token_hex(32))
            path.chmod(0o600)
        except FileExistsError:
            pass
        except OSError as error:
            raise KeyProblem(f"cannot create the key file {path} ({error.strerror or error}); is the home folder "
                             f"usable? {HOW_TO_SUPPLY}") from error
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KeyProblem(f"cannot read the key file {path} ({type(error).__name__}: {error}). {HOW_TO_SUPPLY}") \
            from error
    return _checked(text.strip().encode("utf-8"), f"file {path}")


def key_fingerprint(key: bytes) -> str:
    """A fingerprint of the key that does not reveal it: HMAC-SHA256 of a fixed label, 16 hex characters.

    Parameters
    ----------
    key : bytes
        The secret key.

    Returns
    -------
    str
        16 hexadecimal characters, the same for the same key.
    """
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def check_key_fingerprints(records: list[dict]) -> None:
    """Refuse waves pseudonymised with different keys.

    Parameters
    ----------
    records : list of dict
        The waves' provenance records, each with ``wave`` and ``key_fingerprint``.

    Raises
    ------
    IngestError
        If the records carry more than one fingerprint (or one lacks it), naming the waves of each.
    """
    waves: dict[str, list[str]] = {}
    for record in records:
        waves.setdefault(record.get("key_fingerprint") or "(none recorded)", []).append(str(record.get("wave")))
    if len(waves) > 1:
        groups = "; ".join(f"waves {', '.join(names)} with key {fingerprint}" for fingerprint, names in waves.items())
        raise IngestError(f"the waves were pseudonymised with different keys ({groups}): the same firm would have "
                          "different keys in them and no panel link would be found. Set the key the first waves "
                          "used (ALLIANCEGOV_HMAC_KEY or the key file) and ingest the others again "
                          "(snakemake --forcerun ingest)")


def firm_keys(identifiers: pd.Series, fallback: pd.Series, key: bytes) -> pd.Series:
    """Pseudonymous firm keys: HMAC-SHA256 of the normalised identifier, 16 hex characters.

    Identifiers are read as text first (:func:`~alliancegov.ingest.identifiers.text_value`:
    ``100011.0`` is ``100011``, invisible characters removed, NFC), then folded as labels are (case,
    accents and spaces ignored). Rows without an identifier get a key from their ``fallback``
    label, so they are never pooled with another firm.

    Parameters
    ----------
    identifiers : Series
        The firm identifier of each response (blank where unknown).
    fallback : Series
        A label unique to each row (the ingest stage uses the wave and the row in the file), same
        length.
    key : bytes
        The secret key (:func:`load_pseudonymisation_key`).

    Returns
    -------
    Series
        One 16-character hex key per row, on ``identifiers``' index.
    """
    def one(identifier: object, label: object) -> str:
        text = text_value(identifier, identifier=True)
        message = f"firm:{normalise_label(text)}" if text is not None else f"submission:{label}"
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    return pd.Series([one(i, s) for i, s in zip(identifiers, fallback)], index=identifiers.index, dtype="str")

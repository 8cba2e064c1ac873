"""What the report says of its own making.

The input files, the configuration (secrets redacted), the software versions, the code version,
and whether the data are simulated (the simulator's record beside the raw waves, or the
configuration's flag).
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from alliancegov.messages import message

PROVENANCE_COLUMNS = ("wave", "file", "format", "sha256", "rows")


# Every package whose version can change a number, a table or a figure of the report.
VERSIONED_PACKAGES = ("alliancegov", "numpy", "scipy", "pandas", "pyarrow", "statsmodels", "scikit-learn", "patsy",
                      "matplotlib", "seaborn", "jinja2", "python-docx", "pyreadstat", "openpyxl", "pandera",
                      "snakemake")


# Configuration keys whose values would let a reader undo pseudonymisation or reach a service.
SECRET_KEY_PARTS = ("salt", "pepper", "secret", "password", "passphrase", "token", "api_key", "private_key")


REDACTED = "<redacted>"


def provenance_table(provenance: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per input file: ``wave, file, format, sha256, rows``.

    Parameters
    ----------
    provenance : list of dict
        One dict per input with at least those keys (others are ignored).

    Returns
    -------
    DataFrame
        Columns ``wave, file, format, sha256, rows``, one row per entry in the given order. Only
        the file name is kept from ``file``: a local path would reveal user names and folder
        layout.

    Raises
    ------
    KeyError
        If an entry lacks one of the keys.
    """
    missing = [sorted(set(PROVENANCE_COLUMNS) - set(entry)) for entry in provenance]
    if any(missing):
        raise KeyError(f"provenance entries lack keys: {missing}")
    table = pd.DataFrame([{column: entry[column] for column in PROVENANCE_COLUMNS} for entry in provenance],
                         columns=list(PROVENANCE_COLUMNS))
    return table.assign(file=[Path(str(name)).name for name in table["file"]])


def is_secret_key(key: object) -> bool:
    """Whether a configuration key names a secret (salt, password, token, ...).

    Parameters
    ----------
    key : object
        A configuration key (compared as text, case-insensitively).

    Returns
    -------
    bool
        True if the key contains one of :data:`SECRET_KEY_PARTS`.
    """
    folded = str(key).casefold()
    return any(part in folded for part in SECRET_KEY_PARTS)


def redact_config(config: Any) -> Any:
    """A copy of ``config`` with the values of secret-looking keys replaced.

    Parameters
    ----------
    config : object
        The configuration: nested dicts and lists (or tuples), or a scalar.

    Returns
    -------
    object
        The same structure (tuples become lists) with the value of every key that
        :func:`is_secret_key` flags, at any depth, replaced by :data:`REDACTED`.
    """
    if isinstance(config, dict):
        return {key: REDACTED if is_secret_key(key) else redact_config(value) for key, value in config.items()}
    if isinstance(config, list | tuple):
        return [redact_config(value) for value in config]
    return config


def config_yaml(config: dict) -> str:
    """The run configuration as YAML, secrets redacted, keys in their given order.

    Parameters
    ----------
    config : dict
        The run configuration.

    Returns
    -------
    str
        YAML in block style, non-ASCII characters kept (:func:`redact_config` applied first).
    """
    import yaml

    return yaml.safe_dump(redact_config(config), allow_unicode=True, sort_keys=False, default_flow_style=False)


def package_version(name: str) -> str | None:
    """Installed version of distribution ``name``, or None if it is not installed.

    Read from package metadata, so reporting a version never imports the package.

    Parameters
    ----------
    name : str
        A distribution name (``scikit-learn``, ``python-docx``).

    Returns
    -------
    str or None
    """
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def software_versions(language: str) -> pd.DataFrame:
    """``package, version`` rows for Python and the packages that shape the results.

    Parameters
    ----------
    language : {"fr", "en"}
        Language of the "not installed" mark.

    Returns
    -------
    DataFrame
        Columns ``package, version``: ``python``, then each of :data:`VERSIONED_PACKAGES` in
        that order. A package without metadata is marked not installed, except ``alliancegov``
        itself, which falls back to its ``__version__`` (run from a source checkout).
    """
    from alliancegov import __version__

    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        versions[name] = package_version(name)
    # Run from a source checkout (PYTHONPATH=src) the package has no metadata, but it runs.
    versions["alliancegov"] = versions["alliancegov"] or __version__
    not_installed = message("report.not_installed", language)
    return pd.DataFrame(
        {"package": list(versions), "version": [version or not_installed for version in versions.values()]}
    )


def git_commit() -> str:
    """The commit checked out in the current directory.

    Returns
    -------
    str
        The 40-hex-digit commit, or "unknown" outside a usable git repository.
    """
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else "unknown"


SIMULATION_RECORD = "simulated.json"   # written by the simulator beside the raw waves it generates
SIMULATION_KEYS = ("generator", "seed", "truth_sha256")


def simulation_record(paths: Sequence[str | Path]) -> dict[str, Any] | None:
    """The simulator's record of the raw waves, if any: ``generator``, ``seed``, ``truth_sha256``.

    Parameters
    ----------
    paths : sequence of str or Path
        ``simulated.json`` files found beside the raw waves (none for real data).

    Returns
    -------
    dict or None
        The first record's known keys (a missing key is None); None without a file.

    Raises
    ------
    ValueError
        If a record is not a JSON object.
    """
    import json

    for path in paths:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError(f"{path}: the simulator's record must be a JSON object")
        return {key: record.get(key) for key in SIMULATION_KEYS}
    return None


def simulated_banner(record: dict[str, Any] | None, flagged: bool, language: str) -> str:
    """The sentence after the banner's heading: the generator and seed, or the configuration's word.

    Parameters
    ----------
    record : dict or None
        :func:`simulation_record`'s.
    flagged : bool
        The configuration's ``report.simulated_data``.
    language : str

    Returns
    -------
    str
        ``""`` when the data are not simulated (no record, no flag).
    """
    if record is not None:
        return message("report.simulated_seed", language, generator=record.get("generator") or "?",
                       seed=record.get("seed") if record.get("seed") is not None else "?")
    return message("report.simulated_flag", language) if flagged else ""

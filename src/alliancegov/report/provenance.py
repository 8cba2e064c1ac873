"""What the report says of its own making: the input files, the configuration (secrets
redacted), the software versions and the code version.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from alliancegov.report.text import REPORT_TEXT

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

    Input: one dict per input with at least those keys (others are ignored). Only the file
    name is kept from ``file``: a local path would reveal user names and folder layout.
    """
    missing = [sorted(set(PROVENANCE_COLUMNS) - set(entry)) for entry in provenance]
    if any(missing):
        raise KeyError(f"provenance entries lack keys: {missing}")
    table = pd.DataFrame([{column: entry[column] for column in PROVENANCE_COLUMNS} for entry in provenance],
                         columns=list(PROVENANCE_COLUMNS))
    return table.assign(file=[Path(str(name)).name for name in table["file"]])


def is_secret_key(key: object) -> bool:
    """Whether a configuration key names a secret (salt, password, token, ...)."""
    folded = str(key).casefold()
    return any(part in folded for part in SECRET_KEY_PARTS)


def redact_config(config: Any) -> Any:
    """A copy of ``config`` (nested dicts and lists) with the values of secret-looking keys replaced."""
    if isinstance(config, dict):
        return {key: REDACTED if is_secret_key(key) else redact_config(value) for key, value in config.items()}
    if isinstance(config, list | tuple):
        return [redact_config(value) for value in config]
    return config


def config_yaml(config: dict) -> str:
    """The run configuration as YAML, secrets redacted, keys in their given order."""
    import yaml

    return yaml.safe_dump(redact_config(config), allow_unicode=True, sort_keys=False, default_flow_style=False)


def package_version(name: str) -> str | None:
    """Installed version of distribution ``name``, or None if it is not installed.

    Read from package metadata, so reporting a version never imports the package.
    """
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def software_versions(language: str) -> pd.DataFrame:
    """``package, version`` rows for Python and the packages that shape the results."""
    from alliancegov import __version__

    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        versions[name] = package_version(name)
    # Run from a source checkout (PYTHONPATH=src) the package has no metadata, but it runs.
    versions["alliancegov"] = versions["alliancegov"] or __version__
    not_installed = REPORT_TEXT[language]["not_installed"]
    return pd.DataFrame(
        {"package": list(versions), "version": [version or not_installed for version in versions.values()]}
    )


def git_commit() -> str:
    """The commit checked out in the current directory, or "unknown" outside a usable git repository."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else "unknown"

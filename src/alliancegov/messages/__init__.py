"""Message catalogues: the words the reports write, one YAML file per language.

``fr.yaml`` and ``en.yaml`` hold the same keys (a test holds them to it): the reports' headings,
table captions and notes, column and value labels, the generated narrative, the labels of
derived variables the codebook does not know, and the exclusion rules' names. Labels of the
study's questions and answers are the codebook's. Adding a language is adding a file (and the
language to the config schema's list).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE_DIR = Path(__file__).parent


def languages() -> tuple[str, ...]:
    """The languages that have a catalogue.

    Returns
    -------
    tuple of str
        File stems of the catalogues (``("en", "fr")``), sorted.
    """
    return tuple(sorted(path.stem for path in CATALOGUE_DIR.glob("*.yaml")))


@cache
def catalogue(language: str) -> dict[str, Any]:
    """The whole catalogue of ``language``, as nested dicts.

    Parameters
    ----------
    language : str
        A language with a catalogue (:func:`languages`).

    Returns
    -------
    dict
        The parsed YAML file (cached: do not modify it).

    Raises
    ------
    ValueError
        For a language without a catalogue.
    """
    import yaml

    if language not in languages():
        raise ValueError(f"no message catalogue for language {language!r}; known: {list(languages())}")
    return yaml.safe_load((CATALOGUE_DIR / f"{language}.yaml").read_text(encoding="utf-8"))


def message(key: str, language: str, **fields: object) -> str:
    """The message at the dotted ``key`` of ``language``'s catalogue, ``fields`` filled in.

    Parameters
    ----------
    key : str
        A dotted path (``"report.results"``, ``"tables.choice_mnl.caption"``).
    language : str
        The catalogue's language.
    **fields : object
        Values of the message's ``{placeholders}`` (none: the text is returned as written).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the catalogue has no such key (naming the key and the language).
    """
    node: Any = catalogue(language)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"message {key!r} is missing from the {language} catalogue")
        node = node[part]
    return str(node).format(**fields) if fields else str(node)


def section(key: str, language: str) -> dict[str, Any]:
    """A part of the catalogue (a mapping of messages), as :func:`message` finds it.

    Parameters
    ----------
    key : str
        A dotted path to a mapping (``"values"``, ``"tables"``).
    language : str
        The catalogue's language.

    Returns
    -------
    dict
        The mapping (empty if the catalogue has no such part).
    """
    node: Any = catalogue(language)
    for part in key.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}

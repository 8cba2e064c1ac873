"""Which package modules a workflow script runs, and a hash of their source.

Snakemake re-runs a job when its params change, not when a module its script imports changes.
Each rule therefore passes, as a param, the hash of every ``alliancegov`` module its script
reaches: the script's imports, their imports, and so on, read from the source with :mod:`ast`
(imports inside functions included, since the package imports lazily), never kept by hand.
Computed when the DAG is built, so it costs a parse of the package (a few milliseconds), not an
import.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = "alliancegov"
PACKAGE_DIR = Path(__file__).resolve().parent


def module_file(name: str) -> Path | None:
    """The source file of the package module ``name``.

    Parameters
    ----------
    name : str
        A dotted module name (``alliancegov.choice.design``).

    Returns
    -------
    Path or None
        The module's ``.py`` file, or its package's ``__init__.py``; None if ``name`` is not a
        module of this package (a third-party module, or a function or class).
    """
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR).with_suffix("")
    parts = [PACKAGE, *relative.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _parents(name: str) -> list[str]:
    """``a.b.c`` → ``a``, ``a.b``: importing a module runs its packages' ``__init__`` first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@cache
def imported_names(path: Path) -> frozenset[str]:
    """Every module name an ``import`` statement anywhere in ``path`` may load.

    Parameters
    ----------
    path : Path
        A Python source file; relative imports are resolved against its package when it lies
        inside the package.

    Returns
    -------
    frozenset of str
        The imported names, with the parent packages they load first. ``from a import b`` yields
        ``a`` and ``a.b`` (``b`` may be a submodule); names that are not package modules are
        filtered out by the caller.

    Notes
    -----
    Imports inside functions count too. The result is cached per path.
    """
    tree = ast.parse(path.read_bytes(), filename=str(path))
    inside_package = path.is_relative_to(PACKAGE_DIR)
    package = _module_name(path) if inside_package and path.name == "__init__.py" else (
        _module_name(path).rpartition(".")[0] if inside_package else "")
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:   # relative: resolved against the importing module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(names | {parent for name in names for parent in _parents(name)})


def import_closure(script: str | Path) -> list[Path]:
    """The package source files ``script`` reaches through its imports, directly or transitively.

    Parameters
    ----------
    script : str or Path
        Any Python file (a workflow script or a package module).

    Returns
    -------
    list of Path
        The package's source files reached, sorted.
    """
    seen: set[Path] = set()
    pending = [Path(script).resolve()]
    while pending:
        for name in imported_names(pending.pop()):
            found = module_file(name)
            if found is not None and found not in seen:
                seen.add(found)
                pending.append(found)
    return sorted(seen)


def code_hash(script: str | Path) -> str:
    """A hash of the source of every package module ``script`` reaches.

    Parameters
    ----------
    script : str or Path
        Any Python file (a workflow script or a package module).

    Returns
    -------
    str
        16 hex digits of a SHA-256 over the reached modules' paths within the package and their
        bytes: it changes exactly when one of them changes.
    """
    digest = hashlib.sha256()
    for path in import_closure(script):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]

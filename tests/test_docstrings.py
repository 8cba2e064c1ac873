"""Public functions are documented in one style: numpydoc, as scikit-learn and statsmodels write it.

Every public module, class and function of the package has a docstring; a function that takes
arguments has a ``Parameters`` section naming each of them, and one that returns a value has a
``Returns`` (or ``Yields``) section. Shapes and units go in those sections.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from alliancegov.code_hash import PACKAGE_DIR

MODULES = sorted(PACKAGE_DIR.rglob("*.py"))


def public_definitions(tree: ast.Module):
    """Module-level functions and classes, and the methods of public classes, whose names are public."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node.name, node
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, ast.FunctionDef) and not member.name.startswith("_"):
                        yield f"{node.name}.{member.name}", member


def arguments(function: ast.FunctionDef) -> list[str]:
    """The arguments a caller passes (not ``self``/``cls``), ``*args``/``**kwargs`` as written."""
    names = [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]
    names = [name for name in names if name not in ("self", "cls")]
    if function.args.vararg:
        names.append(f"*{function.args.vararg.arg}")
    if function.args.kwarg:
        names.append(f"**{function.args.kwarg.arg}")
    return names


def returns_a_value(function: ast.FunctionDef) -> bool:
    annotation = function.returns
    if annotation is not None:
        return not (isinstance(annotation, ast.Constant) and annotation.value is None)
    return any(isinstance(node, ast.Return) and node.value is not None for node in ast.walk(function))


def section(docstring: str, title: str) -> str | None:
    """The body of a numpydoc section (``Title`` over a line of dashes), or None."""
    match = re.search(rf"^\s*{title}\n\s*-{{{len(title)}}}\n(.*?)(?=^\s*\w[\w ]*\n\s*-{{3,}}\n|\Z)", docstring,
                      re.M | re.S)
    return match.group(1) if match else None


def problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(PACKAGE_DIR).as_posix()
    found = [] if ast.get_docstring(tree) else [f"{where}: no module docstring"]
    for name, node in public_definitions(tree):
        docstring = ast.get_docstring(node)
        if not docstring:
            found.append(f"{where}: {name} has no docstring")
            continue
        if isinstance(node, ast.ClassDef) or any(isinstance(d, ast.Name) and d.id == "property"
                                                 for d in node.decorator_list):
            continue
        names = arguments(node)
        documented = section(docstring, "Parameters")
        if names and documented is None:
            found.append(f"{where}: {name} has no Parameters section")
        elif names:
            listed = set(re.findall(r"^\s*(\*{0,2}\w+)(?:\s*,\s*(\*{0,2}\w+))*\s*(?::|$)", documented, re.M))
            listed = {item for group in listed for item in group if item}
            # "a, b : str" documents both names
            for line in documented.splitlines():
                if re.match(r"^\s*\*{0,2}\w+(\s*,\s*\*{0,2}\w+)*\s*(:|$)", line) and not line.startswith(" " * 8):
                    listed |= {item.strip() for item in line.split(":")[0].split(",")}
            missing = [argument for argument in names if argument not in listed]
            if missing:
                found.append(f"{where}: {name} does not document {missing}")
        if returns_a_value(node) and section(docstring, "Returns") is None and section(docstring, "Yields") is None:
            found.append(f"{where}: {name} has no Returns section")
    return found


@pytest.mark.parametrize("path", MODULES, ids=[path.relative_to(PACKAGE_DIR).as_posix() for path in MODULES])
def test_public_functions_are_documented_in_numpydoc_style(path):
    assert problems(path) == []

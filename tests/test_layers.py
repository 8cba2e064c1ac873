"""Data and imports flow one way: raw → ingest → clean → constructs → models → tables and figures →
report. No module imports a later stage, the estimators in stats/ know nothing of the survey, the
simulator never imports an estimator, and the package never imports Snakemake."""

from __future__ import annotations

import ast

import pytest

from alliancegov.code_hash import PACKAGE_DIR

# Each room of the package and the rooms it may import (besides itself). Shared rooms come first.
SHARED = {"alliancegov", "codebook", "safe_output", "disclosure", "formatting", "expressions", "runtime", "code_hash",
          "frame_columns",
          "messages"}
# The model stages share the estimators and the checks that a model can be fitted.
MODELLING = SHARED | {"stats", "model_checks"}
MAY_IMPORT = {
    "stats": set(),
    "model_checks": SHARED | {"stats"},
    "expressions": set(),
    "config_strings": {"codebook", "expressions"},
    "simulate": {"codebook"},
    "model_inputs": SHARED | {"config_strings"},
    "ingest": SHARED,
    "clean": SHARED | {"ingest"},
    "pool": SHARED | {"clean", "ingest", "model_inputs"},
    "constructs": SHARED,
    "descriptives": SHARED,
    "choice": MODELLING,
    "misalignment": MODELLING | {"choice"},
    "performance": MODELLING | {"choice", "misalignment", "descriptives"},
    "waves": MODELLING | {"choice", "descriptives"},
    "hypotheses": MODELLING | {"choice", "performance"},
    "power": MODELLING | {"choice", "performance", "misalignment", "constructs", "hypotheses", "simulate"},
    "figures": SHARED,
    "table_formats": SHARED,
    "publication": SHARED | {"table_formats"},
    "report": SHARED | {"publication", "table_formats"},
}
# The measurement stage comes after constructs; the hypotheses match its flags to their checks; the
# correlation table's wide layout is an output room that publication and the report use.
MAY_IMPORT["measurement"] = SHARED | {"stats", "constructs"}
MAY_IMPORT["hypotheses"] = MAY_IMPORT["hypotheses"] | {"measurement"}
MAY_IMPORT["correlation_matrix"] = SHARED | {"table_formats"}
MAY_IMPORT["publication"] = MAY_IMPORT["publication"] | {"correlation_matrix"}
MAY_IMPORT["report"] = MAY_IMPORT["report"] | {"correlation_matrix"}
# Which stages a config turns on: read from the choice section's spec; the register's checks ask it.
MAY_IMPORT["stages"] = SHARED | {"choice"}
MAY_IMPORT["hypotheses"] = MAY_IMPORT["hypotheses"] | {"stages"}
for room in ("codebook", "safe_output", "disclosure", "formatting", "runtime", "code_hash", "messages",
             "frame_columns"):
    MAY_IMPORT.setdefault(room, SHARED)
MODULES = sorted(PACKAGE_DIR.rglob("*.py"))


def room_of(path) -> str:
    parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
    return "alliancegov" if parts == ("__init__",) else parts[0]


def imported(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_every_room_has_its_rule():
    assert {room_of(path) for path in MODULES} <= set(MAY_IMPORT) | {"alliancegov"}


@pytest.mark.parametrize("path", MODULES, ids=[path.relative_to(PACKAGE_DIR).as_posix() for path in MODULES])
def test_imports_flow_one_way(path):
    room = room_of(path)
    allowed = MAY_IMPORT.get(room, SHARED) | {room}
    names = imported(path)
    assert not any(name.split(".")[0] == "snakemake" for name in names), "the package never imports snakemake"
    package_rooms = {name.split(".")[1] if "." in name else "alliancegov"
                     for name in names if name.split(".")[0] == "alliancegov"}
    assert package_rooms <= allowed, sorted(package_rooms - allowed)

"""The codebook's vocabulary: its three files, the variable types and roles it allows, the kinds
of missing value, and the error raised when its tables contradict themselves."""

from __future__ import annotations

VARIABLE_TYPES = {"text", "datetime", "select_one", "select_multiple", "integer", "decimal", "likert"}
ROLES = {
    "meta", "identifying", "free_text", "quality", "profile", "partner",
    "governance", "item", "performance",
}
NUMERIC_TYPES = {"integer", "decimal", "likert"}
MISSING_KINDS = ("dont_know", "refused", "not_applicable")
CODEBOOK_FILES = ("variables.csv", "value_sets.csv", "scales.csv")


class CodebookError(ValueError):
    """The codebook tables contradict themselves."""

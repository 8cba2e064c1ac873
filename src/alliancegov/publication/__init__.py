"""The papers' tables: models side by side and the descriptive "Table 1".

Models are set side by side as R's modelsummary or Stata's esttab do
(:mod:`~alliancegov.publication.regression`), Table 1 in
:mod:`~alliancegov.publication.descriptive`; the rule ``publication_tables``
(:mod:`~alliancegov.publication.stage`) renders them in every publication format with
:mod:`alliancegov.table_formats`.
"""

from __future__ import annotations

from alliancegov.publication.descriptive import descriptive_table
from alliancegov.publication.regression import (
    DEFAULT_STARS,
    fit_cells,
    note_lines,
    regression_table,
    se_description,
    significance_stars,
)
from alliancegov.publication.stage import publication_set, run

__all__ = ["DEFAULT_STARS", "descriptive_table", "fit_cells", "note_lines", "publication_set", "regression_table",
           "run", "se_description", "significance_stars"]

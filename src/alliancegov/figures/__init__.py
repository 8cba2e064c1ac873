"""Publication figures, labelled in French or English from the codebook.

One module per group of figures, each with the ``run`` of the rule that draws them:
:mod:`~alliancegov.figures.descriptive` (the data alone; its Likert bars in
:mod:`~alliancegov.figures.likert`), :mod:`~alliancegov.figures.models`,
:mod:`~alliancegov.figures.waves` and :mod:`~alliancegov.figures.power`; their look and saving in
:mod:`~alliancegov.figures.theme`. Their own words (titles, axes, notes) are the ``figures``
section of the message catalogues (:mod:`alliancegov.messages`, one YAML file per language).
Figures draw the tables the stages hand over; they never estimate.
"""



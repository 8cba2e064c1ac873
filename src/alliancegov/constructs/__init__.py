"""Construct scores and their reliability.

Reverse-coded items are recoded as (min + max) − x after missing codes became missing; a scale
score is the mean of the answered items when at least the scale's ``min_items`` are answered
(else missing). Every reliability statistic uses the listwise-complete responses of the scale's
items: Cronbach's alpha with its Feldt confidence interval, McDonald's omega (total) from a
one-factor maximum-likelihood model, and per-item statistics (corrected item–total correlation,
alpha if the item is deleted).

Rooms: :mod:`~alliancegov.constructs.scores` (items recoded, scale scores, choice indicators and
answer codes: the analysis frame), :mod:`~alliancegov.constructs.reliability` (alpha and its
interval, omega, item statistics, per wave and pooled) and :mod:`~alliancegov.constructs.stage`
(rule ``constructs``).
"""

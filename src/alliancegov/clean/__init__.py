"""Clean and validate one ingested wave: missing-value codes, quality flags, exclusions.

Every received response ends either in the analysed data or in the exclusions table with exactly one
reason: the first rule, in the configured order, whose flag it raises.

Rooms: :mod:`~alliancegov.clean.quality` (the quality flags and the exclusion rules),
:mod:`~alliancegov.clean.nonresponse` (the kinds of nonresponse among the analysed responses) and
:mod:`~alliancegov.clean.stage` (rule ``clean``).
"""

"""The survey waves and the panel of firms re-interviewed across them.

Rooms: :mod:`~alliancegov.waves.models` (the choice model pooled with wave effects and per wave,
and its stability tests), :mod:`~alliancegov.waves.panel` (transitions of governance form between
consecutive waves) and :mod:`~alliancegov.waves.stage` (rule ``waves``).
"""

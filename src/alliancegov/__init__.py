"""alliancegov: survey pipeline for the governance of SME–large-firm alliances."""

__version__ = "0.1.0"

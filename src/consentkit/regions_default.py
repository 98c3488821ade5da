"""The shipped default mapping of places to consent regimes, as data (docs/regions.md lists its
sources). Not legal advice: a site that knows better replaces it with its own `regions.regimes`.
"""

from __future__ import annotations

MAPPING_DATE = "2026-12-05"
"""When the lists below were last checked against the laws docs/regions.md cites."""

EEA_UK_CH: tuple[str, ...] = (
    # The EU's 27 member states
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    # the rest of the EEA, the United Kingdom and Switzerland
    "IS", "LI", "NO", "GB", "CH",
    # outermost regions and territories MaxMind may report as countries of their own
    "GF", "GP", "MQ", "RE", "YT", "MF", "AX", "GI",
)
"""GDPR with the ePrivacy rules, UK GDPR with PECR, the revised Swiss FADP: ask first."""

US_OPT_OUT_STATES: tuple[str, ...] = (
    "US-CA", "US-CO", "US-CT", "US-TX", "US-OR", "US-MT", "US-NJ", "US-DE", "US-NH", "US-MN", "US-MD",
    "US-NE",
)
"""US states whose comprehensive privacy law is in force and makes a universal opt-out signal
(Global Privacy Control) binding for the sale or sharing of personal data and targeted advertising."""

DEFAULT_REGIMES: tuple[dict[str, object], ...] = (
    {"name": "gdpr", "places": EEA_UK_CH, "mode": "opt_in"},
    {"name": "us_opt_out", "places": US_OPT_OUT_STATES, "mode": "opt_out"},
)
"""Everything else gets `regions.fallback`."""

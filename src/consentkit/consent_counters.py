"""Consent analytics as anonymous daily counters: banner impressions, choice outcomes, opt-ins per
category, DNT and GPC on counted page views.

Each is one `Writer.tally(metric, key)`: a row per day, metric and key in `ck_counts`, with no
cookie, no id and nothing per visitor; the ledger stays the record of each choice. Keys join their
parts with ``|`` (policy version first) and hold only configured values (policy versions, the
banner's languages, category keys), never anything a request brings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consentkit.consent import ChoiceCodec, ConsentState
    from consentkit.signals import Signals
    from consentkit.storage.writer import Writer

IMPRESSIONS = "consent.impressions"
"""Key ``POLICY|LANG``: the banner rendered for a visitor without a valid choice."""
CHOICES = "consent.choices"
"""Key ``POLICY|OUTCOME``: each choice once, by what it grants: ``accept_all`` (every optional
category), ``reject_all`` (none) or ``custom`` (some)."""
OPTINS = "consent.optins"
"""Key ``POLICY|CATEGORY``: each optional category a choice grants."""
WITHDRAWALS = "consent.withdrawals"
"""Key ``POLICY``: a choice taking back a category the visitor's previous choice granted."""
REASKS = "consent.reasks"
"""Key ``POLICY``: a choice by a visitor whose previous choice was under an older policy version."""
SIGNALS = "consent.signals"
"""Key ``pages``: a counted page view (the `pageviews` counter, without its path); ``dnt``, ``gpc``:
one sent with that signal."""

REGIMES = "consent.regimes"
"""Key ``POLICY|REGIME|WHAT``, for a site with regional regimes: ``impression``, each choice by its
outcome (``accept_all``, ``reject_all``, ``custom``), a counted page view (``pages``) and one sent
with GPC (``gpc``), under the regime they happened in (a configured name)."""

CONSENT_METRICS = (IMPRESSIONS, CHOICES, OPTINS, WITHDRAWALS, REASKS, SIGNALS, REGIMES)
OUTCOMES = ("accept_all", "reject_all", "custom")


def outcome(granted: frozenset[str], optional: frozenset[str]) -> str:
    """What a choice amounts to: every optional category, none, or some."""
    if not granted:
        return "reject_all"
    return "accept_all" if granted >= optional else "custom"


class ConsentCounters:
    """The engine's consent counters; every method is a few tallies, safe on the hot path."""

    def __init__(self, writer: Writer, codec: ChoiceCodec, optional: frozenset[str], policy_version: str) -> None:
        self.writer = writer
        self.codec = codec
        self.optional = optional
        self.policy_version = policy_version

    def impression(self, state: ConsentState, lang: str) -> None:
        """The banner was rendered for this request: counted when it has no valid choice."""
        if state.choice is None:
            self.writer.tally(IMPRESSIONS, f"{state.policy_version}|{lang}")
            regime = state._effective.regime
            if regime is not None:
                self.writer.tally(REGIMES, f"{state.policy_version}|{regime}|impression")

    def choice(self, previous: ConsentState, granted: frozenset[str], choice_cookie: str) -> None:
        """A choice was recorded. `previous`: the request's state before it; `choice_cookie`: the
        choice cookie the request carried (a choice under an older policy reads as none there)."""
        version = self.policy_version
        tally = self.writer.tally
        chosen = outcome(granted, self.optional)
        tally(CHOICES, f"{version}|{chosen}")
        regime = previous._effective.regime
        if regime is not None:
            tally(REGIMES, f"{version}|{regime}|{chosen}")
        for category in sorted(granted & self.optional):
            tally(OPTINS, f"{version}|{category}")
        before = previous.choice
        if before is not None:
            if before.granted - granted:
                tally(WITHDRAWALS, version)
        elif choice_cookie:
            older = self.codec.policy_of(choice_cookie)
            if older is not None and older != version:
                tally(REASKS, version)


def tally_signals(writer: Writer, signals: Signals) -> None:
    """Whether a counted page view came with DNT and/or GPC (the page view itself is counted as
    `pageviews`, by path)."""
    if signals.dnt:
        writer.tally(SIGNALS, "dnt")
    if signals.gpc:
        writer.tally(SIGNALS, "gpc")


def tally_regime_page(writer: Writer, state: ConsentState) -> None:
    """A counted page view under a regional regime, and whether it came with GPC."""
    regime = state._effective.regime
    if regime is not None:
        writer.tally(REGIMES, f"{state.policy_version}|{regime}|pages")
        if state.signals.gpc:
            writer.tally(REGIMES, f"{state.policy_version}|{regime}|gpc")

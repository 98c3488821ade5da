"""The single place that decides which consent categories are in effect for a request."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from consentkit.signals import Signals

RegimeMode = Literal["opt_in", "opt_out", "notice"]


@dataclass(frozen=True, slots=True)
class Rules:
    """The parts of the configuration the decision depends on."""

    required: frozenset[str]
    default: frozenset[str]
    dnt_denies: frozenset[str]
    gpc_denies: frozenset[str]
    explicit_optin_overrides: bool = False
    regime: str | None = None
    """The regional regime these rules are for (`regime_rules`); None when the site has no `regions`."""


@dataclass(frozen=True, slots=True)
class Effective:
    categories: frozenset[str]
    denied_by_signal: frozenset[str]
    """Categories a present signal took away (or would have, for a confirmed opt-in)."""
    conflict: frozenset[str]
    """Categories the visitor granted that a signal now denies; the site may ask again."""
    per_visitor: bool = True
    """Whether per-visitor data (events, the chat's visit data) may be kept: not while a DNT or GPC
    signal is present, unless the site lets an explicit opt-in stand and this one was given while
    the same signals were present. Otherwise only anonymous counters are kept."""
    regime: str | None = None
    """The regional regime decided under (`Rules.regime`); None when the site has no `regions`."""


def decide(
    granted: frozenset[str] | None, signals: Signals, rules: Rules, choice_signals: Signals | None = None
) -> Effective:
    """The categories in effect.

    `granted` is the visitor's valid stored choice (None: no choice yet); `choice_signals` the
    signals present when that choice was made. Required categories are always in effect. A present
    signal denies what it covers, even over an earlier opt-in, unless the site allows an explicit
    opt-in given while that same signal was present to stand. The absence of a signal grants nothing.
    The regime (`regime_rules`) only changes the defaults and what a signal covers: a visitor who
    travels keeps their choice, and one who has not chosen gets the new regime's defaults.
    """
    base = (rules.default if granted is None else granted) | rules.required
    # An opt-in stands only for the signals that were present when the visitor gave it.
    stands = (
        rules.explicit_optin_overrides and granted is not None and choice_signals is not None
        and (not signals.dnt or choice_signals.dnt) and (not signals.gpc or choice_signals.gpc)
    )
    per_visitor = not signals.any or stands
    covered: frozenset[str] = frozenset()
    if signals.dnt:
        covered = covered | rules.dnt_denies
    if signals.gpc:
        covered = covered | rules.gpc_denies
    covered = covered - rules.required
    regime = rules.regime
    if not covered:
        return Effective(base, covered, frozenset(), per_visitor, regime)
    if rules.explicit_optin_overrides and granted is not None and choice_signals is not None:
        confirmed = (granted & covered) if stands else frozenset()
        return Effective(base - (covered - confirmed), covered, frozenset(), per_visitor, regime)
    conflict = (granted & covered) if granted is not None else frozenset()
    return Effective(base - covered, covered, conflict, per_visitor, regime)


def regime_rules(
    site: Rules, name: str, mode: RegimeMode, optional: frozenset[str], default: frozenset[str] | None,
    sale_or_sharing: frozenset[str],
) -> Rules:
    """The rules of one regional regime, from the site's own (`site`: today's opt-in rules).

    opt_in keeps the site's rules. opt_out and notice put `default` (None: every optional
    category) in effect before a choice. In opt_out, Global Privacy Control is the opt-out of
    sale or sharing: it denies the `sale_or_sharing` categories (the site's `gpc_denies` when it
    marks none, so that the signal always opts out of something). DNT keeps the site's rule
    everywhere. A visitor's explicit choice replaces the defaults in every mode.
    """
    if mode == "opt_in":
        before = site.default if default is None else default
        return replace(site, default=before - site.required, regime=name)
    before = optional if default is None else default
    gpc = (sale_or_sharing or site.gpc_denies) if mode == "opt_out" else site.gpc_denies
    return replace(site, default=before - site.required, gpc_denies=gpc - site.required, regime=name)

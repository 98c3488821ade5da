"""The single place that decides which consent categories are in effect for a request."""

from __future__ import annotations

from dataclasses import dataclass

from consentkit.signals import Signals


@dataclass(frozen=True, slots=True)
class Rules:
    """The parts of the configuration the decision depends on."""

    required: frozenset[str]
    default: frozenset[str]
    dnt_denies: frozenset[str]
    gpc_denies: frozenset[str]
    explicit_optin_overrides: bool = False


@dataclass(frozen=True, slots=True)
class Effective:
    categories: frozenset[str]
    denied_by_signal: frozenset[str]
    """Categories a present signal took away (or would have, for a confirmed opt-in)."""
    conflict: frozenset[str]
    """Categories the visitor granted that a signal now denies; the site may ask again."""


def decide_cached(
    granted: frozenset[str] | None, signals: Signals, rules: Rules, choice_signals: Signals | None = None
) -> Effective:
    """`decide`, memoised: the inputs take few distinct values on a site."""
    key = (granted, signals, rules, choice_signals)
    hit = _MEMO.get(key)
    if hit is None:
        hit = decide(granted, signals, rules, choice_signals)
        if len(_MEMO) >= 4096:
            _MEMO.clear()
        _MEMO[key] = hit
    return hit


_MEMO: dict[tuple[object, ...], Effective] = {}


def decide(
    granted: frozenset[str] | None, signals: Signals, rules: Rules, choice_signals: Signals | None = None
) -> Effective:
    """The categories in effect.

    `granted` is the visitor's valid stored choice (None: no choice yet); `choice_signals` the
    signals present when that choice was made. Required categories are always in effect. A present
    signal denies what it covers, even over an earlier opt-in, unless the site allows an explicit
    opt-in given while that same signal was present to stand. The absence of a signal grants nothing.
    """
    base = (rules.default if granted is None else granted) | rules.required
    covered: frozenset[str] = frozenset()
    if signals.dnt:
        covered = covered | rules.dnt_denies
    if signals.gpc:
        covered = covered | rules.gpc_denies
    covered = covered - rules.required
    if not covered:
        return Effective(base, covered, frozenset())
    if rules.explicit_optin_overrides and granted is not None and choice_signals is not None:
        confirmed: frozenset[str] = frozenset()
        # An opt-in stands only for the signals that were present when the visitor gave it.
        if (not signals.dnt or choice_signals.dnt) and (not signals.gpc or choice_signals.gpc):
            confirmed = granted & covered
        return Effective(base - (covered - confirmed), covered, frozenset())
    conflict = (granted & covered) if granted is not None else frozenset()
    return Effective(base - covered, covered, conflict)

"""Chat rules: the declarative ones from the configuration, then Python hooks, combined into one verdict.

Order of evaluation: `exclude_paths` and `never_for_bots` first (they hide whatever `combine`
says), then `include_paths`, `hours`, `min_page_views`, `min_seconds_on_site`, `returning_only`,
`countries`, `languages`, `devices`, then the hooks in the order they were registered. Only
configured rules take part. With `combine = "all"` evaluation stops at the first rule that says
hide; with "any" at the first that says show; a hook that raises hides the chat (and is logged).
The reasons are those of the rules evaluated, in that order; a visitor field is computed only when
a rule first reads it, so the rules after the one that settled it compute nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import NamedTuple, TypeAlias

from consentkit.chat.context import FROM_VISITS, Facts, VisitorContext
from consentkit.chat.hooks import HookRegistry, ask
from consentkit.chat.outcome import DataValue, Reason, Says
from consentkit.chat.settings import BusinessHours, ChatRulesConfig
from consentkit.collect.paths import GlobSet

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Verdict(NamedTuple):
    show: bool
    reasons: tuple[Reason, ...]
    data: dict[str, DataValue]
    failed: bool = False
    """A hook failed (raised, timed out, answered nonsense): not to be remembered."""


Check: TypeAlias = Callable[[Facts], Reason]


class RuleSet:
    def __init__(self, cfg: ChatRulesConfig, hooks: HookRegistry) -> None:
        self.hooks = hooks
        self.any = cfg.combine == "any"
        self.settles: Says = "show" if self.any else "hide"
        """The answer that ends evaluation: the first "show" with combine = "any", "hide" with "all"."""
        self.unknown: Says = cfg.when_unknown
        self.exclude = GlobSet(cfg.exclude_paths) if cfg.exclude_paths else None
        self.bots = cfg.never_for_bots
        self.hook_timeout_s = cfg.hook_timeout_ms / 1000
        checks: list[tuple[str, frozenset[str], Check]] = []
        if cfg.include_paths:
            checks.append(("include_paths", frozenset(), _included(GlobSet(cfg.include_paths))))
        if cfg.hours is not None:
            hours = cfg.hours
            zone = zoneinfo.ZoneInfo(hours.timezone)
            checks.append(("hours", frozenset(), lambda c: _hours(hours, zone, c.now)))
        if cfg.min_page_views:
            n = cfg.min_page_views
            checks.append(("min_page_views", frozenset({"page_views"}), lambda c: self._at_least(
                "min_page_views", c.get("page_views"), n, "page views")))
        if cfg.min_seconds_on_site:
            s = cfg.min_seconds_on_site
            checks.append(("min_seconds_on_site", frozenset({"seconds_on_site"}), lambda c: self._at_least(
                "min_seconds_on_site", c.get("seconds_on_site"), s, "seconds on site")))
        if cfg.returning_only:
            checks.append(("returning_only", frozenset({"returning"}), lambda c: self._says(
                "returning_only", c.get("returning"), "returning visitor" if c.get("returning") else "first visit")))
        for key, attr, allowed in (
            ("countries", "country", cfg.countries), ("languages", "language", cfg.languages),
            ("devices", "device", cfg.devices),
        ):
            if allowed:
                checks.append((key, frozenset({attr}), _member(self, key, attr, frozenset(allowed))))
        if cfg.regimes:
            regimes = frozenset(cfg.regimes)
            checks.append(("regimes", frozenset(), lambda c: self._says(
                "regimes", None if c.regime is None else c.regime in regimes, f"regime {c.regime}")))
        self.checks = checks
        needs: set[str] = {"is_bot"} if self.bots else set()
        for _, need, _ in checks:
            needs |= need
        self.needs = frozenset(needs)
        # What a verdict depends on besides the visitor fields made of headers and the address (for
        # `Decider`, which remembers verdicts under those): the page, the minute, the visit counts.
        self.by_path = bool(cfg.include_paths)
        self.clocked = cfg.hours is not None
        """`hours` reads the clock; its answer holds for the minute (opening times are in minutes)."""
        self.fixed = not (self.by_path or self.clocked or self.needs & FROM_VISITS)
        """The declarative rules read only fields made of the request headers and the address."""

    def _says(self, rule: str, ok: bool | None, detail: str) -> Reason:
        if ok is None:
            return Reason(rule, self.unknown, f"{detail}: not known (its category is not in effect)")
        return Reason(rule, "show" if ok else "hide", detail)

    def _at_least(self, rule: str, value: int | None, need: int, what: str) -> Reason:
        if value is None:
            return self._says(rule, None, what)
        if value >= need:
            return self._says(rule, True, f"at least {need} {what}")
        return self._says(rule, False, f"fewer than {need} {what}")

    def path_veto(self, path: str) -> Reason | None:
        if self.exclude is not None and self.exclude.match(path):
            return Reason("exclude_paths", "hide", f"{path[:100]} matches exclude_paths")
        return None

    def evaluate(self, facts: Facts) -> Verdict:
        judged = self.judge(facts)
        return judged if isinstance(judged, Verdict) else self.hear(facts.context(), judged)

    def judge(self, facts: Facts) -> Verdict | tuple[Reason, ...]:
        """The declarative rules' verdict; or, when they leave it to the hooks, their reasons so far."""
        if self.bots and facts.get("is_bot"):
            return _BOT
        settles = self.settles
        reasons: list[Reason] = []
        for _, _, check in self.checks:
            r = check(facts)
            reasons.append(r)
            if r.says == settles:
                return Verdict(self.any, tuple(reasons), {})
        if self.hooks.hooks:
            return tuple(reasons)
        if not reasons:
            return Verdict(True, (Reason("rules", "show", "no rules configured"),), {})
        return Verdict(not self.any, tuple(reasons), {})

    def hear(self, ctx: VisitorContext, judged: tuple[Reason, ...]) -> Verdict:
        """The hooks' say, after the declarative rules' reasons (`judge`) left the verdict open."""
        settles = self.settles
        reasons = list(judged)
        data: dict[str, DataValue] = {}
        settled = False
        timeout = self.hook_timeout_s
        for hook in self.hooks.hooks:
            r, got, failed = ask(hook, ctx, timeout)
            reasons.append(r)
            if failed:
                return Verdict(False, tuple(reasons), {}, True)
            says = r.says
            if says == "show" and got:
                data.update(got)
            if says == settles:
                settled = True
                break
        show = self.any if settled else not self.any
        return Verdict(show, tuple(reasons), data if show else {})


_BOT = Verdict(False, (Reason("never_for_bots", "hide", "a known bot"),), {})


def _included(globs: GlobSet) -> Check:
    def check(c: Facts) -> Reason:
        ok = globs.match(c.path)
        where = "in" if ok else "not in"
        return Reason("include_paths", "show" if ok else "hide", f"{c.path[:100]} {where} include_paths")

    return check


def _member(rs: RuleSet, key: str, attr: str, allowed: frozenset[str]) -> Check:
    def check(c: Facts) -> Reason:
        value = c.get(attr)
        return rs._says(key, None if value is None else value in allowed, f"{attr} {value}")

    return check


def _hours(hours: BusinessHours, zone: zoneinfo.ZoneInfo, now: float) -> Reason:
    local = dt.datetime.fromtimestamp(now, zone)
    t = local.time().replace(tzinfo=None)
    day = local.date()
    if hours.open < hours.close:
        ok = hours.open <= t < hours.close
    elif t >= hours.open:
        ok = True
    else:  # after midnight: the hours belong to the day they opened
        ok = t < hours.close
        day = day - dt.timedelta(days=1)
    stamp = f"{local:%a %Y-%m-%d %H:%M} {hours.timezone}"
    if ok and day in hours.holidays:
        return Reason("hours", "hide", f"{stamp}: holiday")
    if ok and _DAYS[day.weekday()] not in hours.days:
        return Reason("hours", "hide", f"{stamp}: closed that day")
    return Reason("hours", "show" if ok else "hide", f"{stamp}: {'open' if ok else 'outside business hours'}")



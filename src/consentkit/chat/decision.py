"""Deciding for one page: the rules' verdict, then consent; every decision with its reasons."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

from consentkit.boundedcache import BoundedCache
from consentkit.chat.context import FROM_VISITS, UNKNOWN, ContextBuilder, Facts, Inputs, make_context
from consentkit.chat.hooks import HookRegistry
from consentkit.chat.outcome import ChatDecision, Outcome, Reason
from consentkit.chat.rules import RuleSet, Verdict

if TYPE_CHECKING:
    from consentkit.chat.settings import ChatConfig
    from consentkit.consent import ConsentState
    from consentkit.exchange import Exchange

Prepared: TypeAlias = "tuple[dict[str, Any], dict[str, Any], Verdict | tuple[Reason, ...] | None, ChatDecision | None]"
"""`Decider._prepare`: the fields made of headers and the address; those with the others None (a
context's visitor fields); the declarative rules' say (`RuleSet.judge`) if they read only those,
else None; the decision, when that say is a hide."""


_make = tuple.__new__
_NONE: Mapping[str, Any] = MappingProxyType({})
_UNSEEN = ChatDecision("hide", (), "", {}, {})
"""Marks a path `Decider.vetoed` has not seen yet."""


class Decider:
    """Rules, then consent.

    With hooks only if registered with `remember=True`, the rules' verdict depends only on what the
    allowed fields are computed from, the page (for `include_paths`) and the minute (for `hours`):
    it is remembered (bounded) under those inputs as they come — headers, address, visit counts —
    so that a repeated "hide" computes no field at all. A visit count that only declarative rules
    read counts by which side of its threshold it is on, so that the next page of a visit finds
    the verdict of the last. Otherwise (a hook asked on every page) the fields made of headers and
    the address are remembered under those — with the declarative rules' say when those fields are
    all the rules read — and the visit fields are computed as rules first read them.
    """

    def __init__(self, cfg: ChatConfig, builder: ContextBuilder, hooks: HookRegistry, optional: frozenset[str],
                 overrides: bool) -> None:
        self.config = cfg
        self.category = cfg.category
        self.builder = builder
        self.hooks = hooks
        self.ruleset = RuleSet(cfg.rules, hooks)
        self.prechat_needs = frozenset(cfg.prechat_fields)
        self.optional = optional
        self.overrides = overrides
        self._vetoed: BoundedCache[str, ChatDecision | None] = BoundedCache(1024)
        """Per path: the decision of `exclude_paths`, or None when they let it through."""
        self._verdicts: BoundedCache[tuple[Any, ...], tuple[Verdict, ChatDecision | None]] = BoundedCache(4096)
        self._prepared: BoundedCache[tuple[Any, ...], Prepared] = BoundedCache(4096)
        """Without the verdict cache: what the fields made of headers and the address decide, under those."""
        self._inputs: dict[frozenset[str], tuple[Inputs, tuple[int | None, ...] | None]] = {}
        """Per field groups in effect: what the fields the rules and hooks read are made of; and for
        the visit fields among them, the threshold a verdict reads each by (None: its value), or
        None when it reads them all by value."""
        self.hook_needs: frozenset[str] | None = None
        """The hooks' `needs` that what follows was derived for (`derive`)."""
        self._needs = self.ruleset.needs
        self._remember = False
        """Whether verdicts are remembered: hooks only with `remember=True`."""
        self.tracks_visits = True
        """Whether a rule, hook or pre-chat field reads visit data: pages are recorded only then."""

    def derive(self) -> None:
        """Derive what depends on the registered hooks; called when one was registered since."""
        rs, hooks = self.ruleset, self.hooks
        self.hook_needs = hooks.needs
        self._needs = rs.needs | hooks.needs
        self._inputs = {}
        self._prepared.clear()  # a declarative rules' say left to the hooks may now be theirs alone
        self._remember = all(h.remember for h in hooks.hooks)
        self.tracks_visits = bool((self._needs | self.prechat_needs) & FROM_VISITS)

    def vetoed(self, path: str) -> ChatDecision | None:
        """The decision for a page `exclude_paths` hides; None for the others (then `decide`)."""
        rs = self.ruleset
        if rs.exclude is None:
            return None
        vetoed = self._vetoed.get(path, _UNSEEN)
        if vetoed is _UNSEEN:
            veto = rs.path_veto(path)
            vetoed = None if veto is None else ChatDecision("hide", (veto,), "hidden_by_rule", {}, {}, False)
            self._vetoed.put(path, vetoed)
        return vetoed

    def decide(self, ex: Exchange, current_page: bool, path: str, groups: frozenset[str]) -> ChatDecision:
        """The decision for `path` of this request, which `vetoed` let through (not counted, not
        cached per request); `groups` are the field groups in effect for it (`Exchange.groups`)."""
        rs = self.ruleset
        builder = self.builder
        if self.hooks.needs is not self.hook_needs:  # a hook was registered since
            self.derive()
        inputs = self._inputs.get(groups)
        if inputs is None:  # groups take few distinct values
            inputs = self._inputs[groups] = self._inputs_of(groups)
        (allowed, names, pick, network, derived, fixed), cuts = inputs
        raw = None
        if pick is not None:
            try:
                raw = pick(ex.request.headers)
            except KeyError:  # a header the fields are made of is missing
                raw = tuple(map(ex.request.headers.get, names))
        facts: Facts | None = None
        known: dict[str, Any] | None = None  # fields computed already, when `facts` is None
        if self._remember:
            now = time.time() if rs.clocked else None
            # With `hours`, the minute: every zone's offset is whole minutes.
            key: tuple[Any, ...] = (allowed, raw) if now is None else (allowed, raw, now // 60)
            if rs.by_path:
                key = (*key, path)
            if network:
                key = (*key, ex.request.client)
            if derived:
                facts = builder.facts(ex, allowed, current_page=current_page, path=path, now=now)
                if cuts is None:
                    key = (*key, *map(facts.get, derived))
                else:
                    key = (*key, *[_side(facts.get(f), cut) for f, cut in zip(derived, cuts, strict=True)])
            cached = self._verdicts.get(key)
            if cached is None:
                if facts is None:
                    facts = builder.facts(ex, allowed, current_page=current_page, path=path, now=now)
                verdict = rs.evaluate(facts)
                # A hide that holds on every page of the visit keeps no visit data (`ChatDecision.track`).
                hidden = None if verdict.show else ChatDecision(
                    "hide", verdict.reasons, "hidden_by_rule", {}, {},
                    rs.by_path or rs.clocked or bool(derived) or verdict.failed)
                cached = (verdict, hidden)
                if not verdict.failed:
                    self._verdicts.put(key, cached)
            verdict, hidden = cached
            if hidden is not None:
                return hidden
        else:
            # Hooks are asked on every page. What is made of the headers and the address alone is
            # prepared once for those: the fields, and the declarative rules' say if that is all
            # they read; per page, only the visit fields and the hooks' answers.
            vkey = (allowed, raw, ex.request.client) if network else (allowed, raw)
            prepared = self._prepared.get(vkey)
            if prepared is None:
                prepared = self._prepare(ex, fixed)
                self._prepared.put(vkey, prepared)
            values, base, judged, hidden = prepared
            known = values
            if hidden is not None:
                return hidden
            if isinstance(judged, Verdict):
                verdict = judged
            elif derived or judged is None:  # the visit fields, or the rules, need computing per page
                facts = Facts(path, time.time(), ex.state._effective.categories, dict(values), allowed,
                              (builder, ex, current_page), derived)
                verdict = rs.evaluate(facts) if judged is None else rs.hear(facts.context(), judged)
            else:
                verdict = rs.hear(make_context(path, time.time(), ex.state._effective.categories, base), judged)
            if not verdict.show:  # as in `RuleSet.evaluate`, without the generated __new__
                return _make(ChatDecision, ("hide", verdict.reasons, "hidden_by_rule", _NONE, _NONE, True))
        state = ex.state
        cat = self.category
        if cat in state._effective.categories:
            outcome: Outcome = "show"
            why = Reason("consent", "show", f"{cat!r} is in effect")
        elif self._can_ask(state):
            outcome = "placeholder"
            why = Reason("consent", "show", f"{cat!r} is not in effect: the placeholder asks for it")
        else:
            why = Reason("consent", "hide", f"{cat!r} is not in effect and cannot be asked for here")
            return ChatDecision("hide", (*verdict.reasons, why), "hidden_by_consent", {}, {})
        prechat: dict[str, Any] = {}
        if self.config.prechat_fields:
            wanted = builder.allowed(groups, self.prechat_needs)
            if facts is None:
                facts = builder.facts(ex, wanted, current_page=current_page, path=path, known=known)
            else:
                facts.add(wanted)
            for name in self.config.prechat_fields:
                value = facts.get(name)
                if value is not None:
                    prechat[name] = list(value) if isinstance(value, tuple) else value
        counted = "shown" if outcome == "show" else "placeholder_shown"
        return ChatDecision(outcome, (*verdict.reasons, why), counted, verdict.data, prechat)

    def _prepare(self, ex: Exchange, fixed: frozenset[str]) -> Prepared:
        """For hooks asked on every page: what the `fixed` fields (made of headers and the address)
        decide, for every page of these inputs."""
        values = self.builder.values(ex, fixed)
        rs = self.ruleset
        judged = rs.judge(Facts("", 0.0, frozenset(), values)) if rs.fixed else None
        # A hide of the declarative rules alone holds whatever the page: nothing of the visit is kept.
        hidden = None if not isinstance(judged, Verdict) or judged.show else ChatDecision(
            "hide", judged.reasons, "hidden_by_rule", {}, {}, False)
        return values, {**UNKNOWN, **values}, judged, hidden

    def _inputs_of(self, groups: frozenset[str]) -> tuple[Inputs, tuple[int | None, ...] | None]:
        inputs = self.builder.inputs(groups, self._needs)
        derived, thresholds, hooks = inputs[4], self.ruleset.thresholds, self.hooks.needs
        cuts = tuple(None if f in hooks else thresholds.get(f) for f in derived)  # hooks read values
        return inputs, (cuts if any(c is not None for c in cuts) else None)

    def _can_ask(self, state: ConsentState) -> bool:
        cat = self.category
        if not self.config.placeholder or cat not in self.optional:
            return False
        return cat not in state._effective.denied_by_signal or self.overrides


def _side(value: Any, cut: int | None) -> Any:
    """A visit count as a remembered verdict reads it: by value, or by whether it reached `cut`."""
    return value if cut is None or value is None else value >= cut

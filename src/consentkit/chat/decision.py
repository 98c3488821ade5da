"""Deciding for one page: the rules' verdict, then consent; every decision with its reasons."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from consentkit.boundedcache import BoundedCache
from consentkit.chat.context import FROM_VISITS, ContextBuilder, Facts, Inputs
from consentkit.chat.hooks import HookRegistry
from consentkit.chat.outcome import ChatDecision, Outcome, Reason
from consentkit.chat.rules import RuleSet, Verdict

if TYPE_CHECKING:
    from consentkit.chat.settings import ChatConfig
    from consentkit.consent import ConsentState
    from consentkit.exchange import Exchange


_PASSED: tuple[Verdict, ChatDecision | None] = (Verdict(True, (), {}), None)
"""What `exclude_paths` says of a page it lets through."""


class Decider:
    """Rules, then consent.

    Unless a hook is asked on every page (registered without `remember=True`), the rules' verdict
    depends on nothing but what the allowed fields are made of (request headers, the address, the
    visit counts), the page (for `include_paths`) and the minute (for `hours`). It is remembered
    (bounded) under those inputs as they come, so that a repeated verdict computes no field at all.
    """

    def __init__(self, cfg: ChatConfig, builder: ContextBuilder, hooks: HookRegistry, optional: frozenset[str],
                 overrides: bool, *, remember: bool = True) -> None:
        self.config = cfg
        self.category = cfg.category
        self.builder = builder
        self.hooks = hooks
        self.ruleset = RuleSet(cfg.rules, hooks)
        self.prechat_needs = frozenset(cfg.prechat_fields)
        self.optional = optional
        self.overrides = overrides
        self.remember = remember
        """False: no verdict is remembered (each page is judged afresh; the decisions are the same)."""
        self._verdicts: BoundedCache[tuple[Any, ...], tuple[Verdict, ChatDecision | None]] = BoundedCache(4096)
        self._inputs: BoundedCache[frozenset[str], Inputs] = BoundedCache(64)
        """Per field groups in effect (few distinct sets): what the fields the rules and hooks read are made of."""
        self.hook_needs: frozenset[str] | None = None
        """The hooks' `needs` that what follows was derived for (`derive`)."""
        self._needs = self.ruleset.needs
        self._remembered = False
        """Whether verdicts are remembered now: only while every hook has `remember=True`."""
        self.tracks_visits = True
        """Whether a rule, hook or pre-chat field reads visit data: pages are recorded only then."""

    def derive(self) -> None:
        """Derive what depends on the registered hooks; called when one was registered since."""
        hooks = self.hooks
        self.hook_needs = hooks.needs
        self._needs = self.ruleset.needs | hooks.needs
        self._inputs.clear()
        self._remembered = all(h.remember for h in hooks.hooks)
        self.tracks_visits = bool((self._needs | self.prechat_needs) & FROM_VISITS)

    def vetoed(self, path: str) -> ChatDecision | None:
        """The decision for a page `exclude_paths` hides; None for the others (then `decide`).
        Remembered per page, as the verdict of `exclude_paths` alone."""
        key = ("exclude_paths", path)
        cached = self._verdicts.get(key)
        if cached is None:
            veto = self.ruleset.path_veto(path)
            cached = _PASSED if veto is None else (
                Verdict(False, (veto,), {}), ChatDecision("hide", (veto,), "hidden_by_rule", {}, {}, False))
            if len(path) <= 256:  # longer ones are rare, and would crowd the others out
                self._verdicts.put(key, cached)
        return cached[1]

    def decide(self, ex: Exchange, current_page: bool, path: str, groups: frozenset[str]) -> ChatDecision:
        """The decision for `path` of this request, which `vetoed` let through (not counted, not
        cached per request); `groups` are the field groups in effect for it (`Exchange.groups`)."""
        if self.hooks.needs is not self.hook_needs:  # a hook was registered since
            self.derive()
        inputs = self._inputs.get(groups)
        if inputs is None:
            inputs = self.builder.inputs(groups, self._needs)
            self._inputs.put(groups, inputs)
        rs = self.ruleset
        now = time.time()
        facts = None
        if self._remembered and self.remember:
            # What the verdict depends on: the raw inputs of the allowed fields (the headers and
            # address as they come, the visit counts), and the page or the minute where rules
            # read them (every zone's offset is whole minutes).
            headers = ex.request.headers
            key: list[Any] = [inputs.allowed, *map(headers.get, inputs.headers)]
            if ex.effective.regime is not None:  # rules and hooks see the regime
                key.append(ex.effective.regime)
            if inputs.network:
                key.append(ex.request.client)
            if rs.by_path:
                key.append(path)
            if rs.clocked:
                key.append(now // 60)
            if inputs.visits:
                facts = self.builder.facts(ex, inputs.allowed, current_page=current_page, path=path, now=now)
                key.extend(map(facts.get, inputs.visits))
            cached = self._verdicts.get(tuple(key))
            if cached is None:
                if facts is None:
                    facts = self.builder.facts(ex, inputs.allowed, current_page=current_page, path=path, now=now)
                cached = self._judge(facts, inputs)
                if not cached[0].failed:
                    self._verdicts.put(tuple(key), cached)
        else:
            facts = self.builder.facts(ex, inputs.allowed, current_page=current_page, path=path, now=now)
            cached = self._judge(facts, inputs)
        verdict, hidden = cached
        if hidden is not None:
            return hidden
        return self._consent(ex, verdict, facts, groups, current_page, path, now)

    def _judge(self, facts: Facts, inputs: Inputs) -> tuple[Verdict, ChatDecision | None]:
        """The rules' verdict, and the decision when it is a hide."""
        rs = self.ruleset
        judged = rs.judge(facts)
        if isinstance(judged, Verdict):  # the declarative rules settled it: no hook is asked
            verdict = judged
            holds = rs.fixed
        else:
            verdict = rs.hear(facts.context(), judged)
            holds = self._remembered and not (verdict.failed or rs.by_path or rs.clocked or inputs.visits)
        if verdict.show:
            return verdict, None
        # A hide that holds on every page while the headers stay the same keeps no visit data.
        return verdict, ChatDecision("hide", verdict.reasons, "hidden_by_rule", {}, {}, not holds)

    def _consent(self, ex: Exchange, verdict: Verdict, facts: Facts | None, groups: frozenset[str],
                 current_page: bool, path: str, now: float) -> ChatDecision:
        """The rules said show: whether consent lets the chat show, or the placeholder ask for it."""
        state = ex.state
        cat = self.category
        if cat in ex.effective.categories:
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
            wanted = self.builder.allowed(groups, self.prechat_needs)
            if facts is None:
                facts = self.builder.facts(ex, wanted, current_page=current_page, path=path, now=now)
            else:
                facts.add(wanted)
            for name in self.config.prechat_fields:
                value = facts.get(name)
                if value is not None:
                    prechat[name] = list(value) if isinstance(value, tuple) else value
        counted = "shown" if outcome == "show" else "placeholder_shown"
        return ChatDecision(outcome, (*verdict.reasons, why), counted, verdict.data, prechat)

    def _can_ask(self, state: ConsentState) -> bool:
        cat = self.category
        if not self.config.placeholder or cat not in self.optional:
            return False
        return cat not in state.denied_by_signal or self.overrides

"""Deciding for one page: the rules' verdict, then consent; every decision with its reasons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from consentkit.chat.context import ContextBuilder
from consentkit.chat.rules import ChatRules, DataValue, Reason, RuleSet, Verdict

if TYPE_CHECKING:
    from consentkit.chat.settings import ChatConfig
    from consentkit.consent import ConsentState
    from consentkit.engine import Exchange

Outcome = Literal["show", "placeholder", "hide"]


class ChatDecision(NamedTuple):
    """What was decided for one page, why, and what the widget gets."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    counted: str
    """The counter it was counted under: shown, placeholder_shown, hidden_by_rule, hidden_by_consent."""
    data: Mapping[str, DataValue]
    """Data the hooks returned with Show(data=…), for the widget."""
    prechat: Mapping[str, Any]
    """The pre-chat fields in effect, for the widget."""

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.outcome, "reasons": [r.as_dict() for r in self.reasons]}


class Decider:
    """Rules, then consent. Verdicts that depend only on the page and the visitor's fields are
    remembered (bounded), so that a repeated "hide" costs a dictionary lookup."""

    def __init__(self, cfg: ChatConfig, builder: ContextBuilder, hooks: ChatRules, optional: frozenset[str],
                 overrides: bool) -> None:
        self.config = cfg
        self.category = cfg.category
        self.builder = builder
        self.rules = hooks
        self.ruleset = RuleSet(cfg.rules, hooks)
        self.prechat_needs = frozenset(cfg.prechat_fields)
        self.optional = optional
        self.overrides = overrides
        self._vetoed: dict[str, ChatDecision] = {}
        self._verdicts: dict[tuple[Any, ...], tuple[Verdict, ChatDecision | None]] = {}

    def decide(self, ex: Exchange, current_page: bool, path: str) -> ChatDecision:
        """The decision for `path` of this request (not counted, not cached per request)."""
        rs = self.ruleset
        vetoed = self._vetoed.get(path)
        if vetoed is not None:
            return vetoed
        veto = rs.path_veto(path)
        if veto is not None:
            vetoed = ChatDecision("hide", (veto,), "hidden_by_rule", {}, {})
            if len(self._vetoed) < 1024:  # the same few excluded pages over and over
                self._vetoed[path] = vetoed
            return vetoed
        hooked = len(self.rules) > 0
        needs = rs.needs | self.rules.needs if hooked else rs.needs
        ctx = self.builder.build(ex, needs, current_page=current_page, path=path)
        if rs.pure and not hooked:  # the same verdict for the same path and fields: remember it
            key = (path if rs.by_path else "", *ctx.values.items())
            cached = self._verdicts.get(key)
            if cached is None:
                verdict = rs.evaluate(ctx)
                hidden = None if verdict.show else ChatDecision("hide", verdict.reasons, "hidden_by_rule", {}, {})
                cached = (verdict, hidden)
                if len(self._verdicts) >= 4096:
                    self._verdicts.clear()
                self._verdicts[key] = cached
            verdict, hidden = cached
            if hidden is not None:
                return hidden
        else:
            verdict = rs.evaluate(ctx)
            if not verdict.show:
                return ChatDecision("hide", verdict.reasons, "hidden_by_rule", {}, {})
        if not self.prechat_needs <= needs:
            ctx = self.builder.build(ex, needs | self.prechat_needs, current_page=current_page, path=path)
        prechat: dict[str, Any] = {}
        for name in self.config.prechat_fields:
            value = ctx.get(name)
            if value is not None:
                prechat[name] = list(value) if isinstance(value, tuple) else value
        state = ex.state
        cat = self.category
        if cat in state._effective.categories:
            why = Reason("consent", "show", f"{cat!r} is in effect")
            return ChatDecision("show", (*verdict.reasons, why), "shown", verdict.data, prechat)
        if self._can_ask(state):
            why = Reason("consent", "show", f"{cat!r} is not in effect: the placeholder asks for it")
            return ChatDecision("placeholder", (*verdict.reasons, why), "placeholder_shown", verdict.data, prechat)
        why = Reason("consent", "hide", f"{cat!r} is not in effect and cannot be asked for here")
        return ChatDecision("hide", (*verdict.reasons, why), "hidden_by_consent", {}, {})

    def _can_ask(self, state: ConsentState) -> bool:
        cat = self.category
        if not self.config.placeholder or cat not in self.optional:
            return False
        return cat not in state._effective.denied_by_signal or self.overrides

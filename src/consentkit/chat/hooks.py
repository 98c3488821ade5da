"""Python chat rules ("hooks"): the registry behind `@engine.chat.rule`, and running one safely."""

from __future__ import annotations

import contextvars
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple, TypeAlias, TypeVar, overload

from consentkit.chat.context import ALL_FIELDS, VisitorContext
from consentkit.chat.outcome import DataValue, Reason

log = logging.getLogger("consentkit")
MAX_DATA_ITEMS = 32


@dataclass(frozen=True, slots=True)
class Show:
    """A hook's "show the chat", optionally with data for the widget (merged into the pre-chat data)."""

    data: Mapping[str, DataValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hide:
    """A hook's "hide the chat", with the reason reported in the decision."""

    reason: str = ""


HookResult: TypeAlias = bool | Show | Hide
ChatHook: TypeAlias = Callable[[VisitorContext], HookResult]
"""A Python rule: gets the read-only `VisitorContext`, returns True / False, `Show(data)` or `Hide(reason)`."""
H = TypeVar("H", bound=ChatHook)


class Hook(NamedTuple):
    """A registered hook, with the reasons of its True and False answers made once (they repeat)."""

    name: str
    fn: ChatHook
    rule: str
    said_true: Reason
    said_false: Reason
    remember: bool = False
    """Its answer depends only on the visitor fields it `needs`: asked once per distinct value of those."""

    @classmethod
    def of(cls, name: str, fn: ChatHook, remember: bool = False) -> Hook:
        rule = f"hook:{name}"
        return cls(name, fn, rule, Reason(rule, "show", "returned True"), Reason(rule, "hide", "returned False"),
                   remember)


class HookRegistry:
    """The registry of hooks; reachable as `engine.chat.hooks`, its decorator as `engine.chat.rule`."""

    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        """In the order they were registered (`rule`)."""
        self.needs: frozenset[str] = frozenset()
        """The context fields the hooks read: the union of their `needs` (all fields if one did not say)."""

    @overload
    def rule(self, fn: H, /) -> H: ...
    @overload
    def rule(
        self, fn: None = None, /, *, name: str | None = None, needs: Iterable[str] | None = None,
        remember: bool = False,
    ) -> Callable[[H], H]: ...

    def rule(
        self, fn: H | None = None, /, *, name: str | None = None, needs: Iterable[str] | None = None,
        remember: bool = False,
    ) -> H | Callable[[H], H]:
        """Register a hook: `@engine.chat.rule`, or `@engine.chat.rule(name="vip", needs={"country"})`.

        `needs` names the context fields the hook reads; only those are computed for it (the others
        are None). Without it, every field allowed for the request is computed.

        `remember=True` promises that the answer depends on nothing but those fields — not on
        `path`, `now`, `categories` or anything outside the context: the answer is then remembered
        (bounded, per process) under what the fields are made of, like a declarative rule's, and a
        visitor the hooks and rules hide whatever the page keeps no visit data. Answers of a hook
        that failed are not remembered.
        """
        wanted = ALL_FIELDS if needs is None else frozenset(needs)
        unknown = wanted - ALL_FIELDS
        if unknown:
            raise ValueError(f"unknown context field(s) {sorted(unknown)}; known: {sorted(ALL_FIELDS)}")
        if not isinstance(remember, bool):
            raise TypeError(f"remember must be True or False, not {remember!r}")

        def register(f: H) -> H:
            label = name or str(getattr(f, "__name__", "hook"))
            self.hooks.append(Hook.of(label, f, remember))
            self.needs = self.needs | wanted  # always a new object: the decider derives anew (`derive`)
            return f

        return register(fn) if fn is not None else register

    def clear(self) -> None:
        self.hooks = []
        self.needs = frozenset()

    def __iter__(self) -> Iterator[tuple[str, ChatHook]]:
        return iter([(h.name, h.fn) for h in self.hooks])

    def __len__(self) -> int:
        return len(self.hooks)


_NO_DATA: dict[str, DataValue] = {}


def run_hook(
    name: str, hook: ChatHook, ctx: VisitorContext, timeout_s: float = 0.0
) -> tuple[Reason, dict[str, DataValue], bool]:
    """One hook's say; the last item is True when it failed (raised, timed out, answered nonsense)."""
    return ask(Hook.of(name, hook), ctx, timeout_s)


def ask(h: Hook, ctx: VisitorContext, timeout_s: float = 0.0) -> tuple[Reason, dict[str, DataValue], bool]:
    """`run_hook` for a registered hook. The data of a bool answer is a shared empty dict: read-only."""
    name, hook, rule = h.name, h.fn, h.rule
    try:
        if timeout_s > 0:
            future = _pool().submit(contextvars.copy_context().run, hook, ctx)
            try:
                result = future.result(timeout_s)
            except TimeoutError:
                if future.done():  # the hook itself raised TimeoutError
                    raise
                ms = round(timeout_s * 1000)
                log.error("consentkit: chat rule %s gave no answer within %d ms; the chat is hidden", name, ms)
                return Reason(rule, "hide", f"no answer within {ms} ms (logged)"), {}, True
        else:
            result = hook(ctx)
    except Exception:
        log.exception("consentkit: chat rule %s raised; the chat is hidden", name)
        return Reason(rule, "hide", "raised an exception (logged)"), {}, True
    if result is True:
        return h.said_true, _NO_DATA, False
    if result is False:
        return h.said_false, _NO_DATA, False
    if isinstance(result, Show):
        return Reason(rule, "show", "Show()"), _clean(name, result.data), False
    if isinstance(result, Hide):
        return Reason(rule, "hide", str(result.reason)[:200] or "Hide()"), {}, False
    log.error("consentkit: chat rule %s returned %r, not bool, Show or Hide; the chat is hidden", name, type(result))
    return Reason(rule, "hide", f"returned {type(result).__name__}, not bool, Show or Hide"), {}, True


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
HOOK_THREADS = 4
"""Worker threads for hooks with a timeout. A hook that never returns keeps its thread; once all are
stuck, later calls wait in the queue and time out, so pages are still served (without the chat)."""


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(HOOK_THREADS, thread_name_prefix="consentkit-chat-hook")
    return _POOL


def _forget_pool() -> None:
    global _POOL
    _POOL = None  # a forked child has none of the parent's threads: it starts its own pool


os.register_at_fork(after_in_child=_forget_pool)


def _clean(name: str, data: Mapping[str, DataValue]) -> dict[str, DataValue]:
    """Widget data: short string keys and scalar values only; anything else is dropped and logged."""
    out: dict[str, DataValue] = {}
    try:
        items = list(data.items())[: MAX_DATA_ITEMS + 1]
    except Exception:
        log.exception("consentkit: chat rule %s returned Show(data) that is not a mapping", name)
        return out
    for key, value in items[:MAX_DATA_ITEMS]:
        ok_value = (
            value is None or isinstance(value, (bool, int)) or (isinstance(value, float) and math.isfinite(value))
            or (isinstance(value, str) and len(value) <= 1000)
        )
        if isinstance(key, str) and 0 < len(key) <= 64 and ok_value:
            out[key] = value
        else:
            log.warning("consentkit: chat rule %s: dropped widget data item %.40r", name, key)
    if len(items) > MAX_DATA_ITEMS:
        log.warning("consentkit: chat rule %s: more than %d widget data items; the rest dropped", name, MAX_DATA_ITEMS)
    return out

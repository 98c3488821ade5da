"""Builders for configs and states, and a tiny HTML reader, shared by the banner unit tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from consentkit.config import ConsentConfig
from consentkit.consent import Choice, ConsentState
from consentkit.policy import Rules, decide
from consentkit.signals import Signals

SECRET = "s" * 40


def make_config(**overrides: Any) -> ConsentConfig:
    return ConsentConfig(secret_keys=[SECRET], storage_url="sqlite://:memory:", **overrides)


def make_state(
    config: ConsentConfig, granted: set[str] | None = None, *, gpc: bool = False, dnt: bool = False
) -> ConsentState:
    rules = Rules(
        required=config.required, default=frozenset(config.default_granted), dnt_denies=config.dnt_denies,
        gpc_denies=config.gpc_denies, explicit_optin_overrides=config.signals.explicit_optin_overrides,
    )
    signals = Signals(dnt=dnt, gpc=gpc)
    choice = None
    if granted is not None:
        choice = Choice("A" * 22, frozenset(granted), config.policy_version, time.time(), signals)
    eff = decide(choice.granted if choice else None, signals, rules, choice.signals if choice else None)
    return ConsentState(eff, signals, choice, config.policy_version)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    parent: Element | None = field(default=None, repr=False)

    def within(self, element_id: str) -> bool:
        node: Element | None = self
        while node is not None:
            if node.attrs.get("id") == element_id:
                return True
            node = node.parent
        return False


VOID = {"input", "img", "br", "meta", "link"}


class Markup(HTMLParser):
    """Every element with its attributes and the text directly inside it (entities decoded)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.texts: list[str] = []
        self._stack: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), parent=self._stack[-1] if self._stack else None)
        self.elements.append(el)
        if tag not in VOID:
            self._stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return
        raise AssertionError(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._stack:
            self._stack[-1].text += data

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        def matches(e: Element) -> bool:
            return all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())

        return [e for e in self.elements if (tag is None or e.tag == tag) and matches(e)]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]

    def by_id(self, element_id: str) -> Element:
        return self.one(id=element_id)

"""The chat's rules and hooks see the visitor's regional regime; remembered verdicts follow it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chat.chat_helpers import BROWSER, LIVECHAT
from consentkit.chat.outcome import ChatDecision, Reason
from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import RequestView
from consentkit.responses import response_headers

from conftest import make_config

PAGE = [("content-type", "text/html; charset=utf-8"), ("content-length", "100")]


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., Engine]]:
    made: list[Engine] = []

    def make(rules: dict[str, Any]) -> Engine:
        cfg = make_config(tmp_path, storage_url=f"sqlite:///{tmp_path / f'd{len(made)}.db'}",
                          chat={**LIVECHAT, "rules": rules}, trusted_proxies=["127.0.0.0/8"],
                          regions={"edge": "cloudflare"})
        made.append(Engine(cfg))
        return made[-1]

    yield make
    for engine in made:
        engine.close()


def page(engine: Engine, country: str, region: str = "") -> ChatDecision:
    choice = Choice(new_id(), frozenset({"analytics", "chat"}), "1", 1.7e9 + 3e7)
    h = {"user-agent": BROWSER, "cf-ipcountry": country, "cf-region-code": region,
         "cookie": f"ck_consent={engine.codec.encode(choice)}"}
    ex = engine.begin(RequestView("GET", "/", "", h, "127.0.0.1", "https"))
    engine.chat.plan(ex, 200, "text/html; charset=utf-8", response_headers(engine, ex, list(PAGE)))
    decision = engine.chat.decide(ex)
    engine.finish(ex, 200, "text/html; charset=utf-8")
    return decision


def test_the_regimes_rule(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({"regimes": ["gdpr"]})
    for _ in range(2):  # the second round from remembered verdicts, which must follow the regime
        assert page(engine, "DE").outcome == "show"
        us = page(engine, "US", "CA")
        assert us.outcome == "hide" and us.reasons == (Reason("regimes", "hide", "regime us_opt_out"),)


def test_hooks_see_the_regime(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({})
    seen: list[str | None] = []

    @engine.chat.rule()
    def only_europe(ctx: Any) -> bool:
        seen.append(ctx.regime)
        return bool(ctx.regime == "gdpr")

    assert page(engine, "FR").outcome == "show"
    assert page(engine, "BR").outcome == "hide"
    assert seen == ["gdpr", "fallback"]

"""Consent analytics: banner impressions, choice outcomes, opt-ins, withdrawals, re-asks and signals
are anonymous daily counters in `ck_counts`, written through the background writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from consentkit.consent import Choice, ChoiceCodec
from consentkit.consent_counters import outcome
from consentkit.demo import starlette_app
from consentkit.engine import Engine
from consentkit_fastapi import consent_banner, install

from conftest import ORIGIN, choose, make_config


def consent_counts(engine: Engine) -> dict[tuple[str, str], int]:
    engine.writer.flush()
    out: dict[tuple[str, str], int] = {}
    for _, metric, key, n in engine.store.counts("consent."):
        out[(metric, key)] = out.get((metric, key), 0) + n
    return out


def test_choices_are_counted_by_outcome_category_withdrawal_and_policy(site: Any) -> None:
    client, engine = site()
    choose(client, {"action": "accept_all"})
    choose(client, {"grant": ["analytics"]})  # fewer than before: a withdrawal
    choose(client, {"grant": ["analytics", "marketing"]})  # more: no withdrawal
    client.cookies.clear()
    choose(client, {"action": "reject_all"})
    counts = consent_counts(engine)
    assert counts[("consent.choices", "1|accept_all")] == 1
    assert counts[("consent.choices", "1|custom")] == 2
    assert counts[("consent.choices", "1|reject_all")] == 1
    assert counts[("consent.optins", "1|analytics")] == 3
    assert counts[("consent.optins", "1|marketing")] == 2
    assert counts[("consent.withdrawals", "1")] == 1
    assert ("consent.optins", "1|necessary") not in counts  # required: not an opt-in
    assert ("consent.reasks", "1") not in counts
    for metric, key in counts:  # nothing about anyone: configured values only
        assert all(part in {"1", "accept_all", "reject_all", "custom", "analytics", "marketing", "preferences",
                            "chat"} for part in key.split("|")), (metric, key)


def test_a_choice_after_a_policy_bump_is_a_reask(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ck.db'}"
    old = Engine(make_config(tmp_path, storage_url=url, policy_version="1"))
    new = Engine(make_config(tmp_path, storage_url=url, policy_version="2"))
    try:
        from consentkit import ConsentMiddleware

        from conftest import asgi_site

        with TestClient(ConsentMiddleware(asgi_site(), engine=old)) as c1:
            choose(c1, {"action": "accept_all"})
            cookie = c1.cookies.get("ck_consent")
        assert cookie
        with TestClient(ConsentMiddleware(asgi_site(), engine=new)) as c2:
            old_cookie = {"cookie": f"ck_consent={cookie}"}
            state = c2.get("/_consent/state", headers=old_cookie).json()
            assert state["choice_made"] is False  # the old policy's choice is no choice
            c2.post("/_consent", json={"action": "reject_all"}, headers={**ORIGIN, **old_cookie})
            choose(c2, {"action": "accept_all"})  # now the choice is under policy 2: no re-ask
        counts = consent_counts(new)
        assert counts[("consent.reasks", "2")] == 1
        assert counts[("consent.choices", "2|reject_all")] == 1
        assert ("consent.withdrawals", "2") not in counts  # an old policy's grant is not withdrawn
    finally:
        old.close()
        new.close()


def test_dnt_and_gpc_are_counted_on_counted_page_views(site: Any) -> None:
    client, engine = site()
    client.get("/", headers={"dnt": "1"})
    client.get("/", headers={"sec-gpc": "1", "dnt": "1"})
    client.get("/")
    client.get("/data", headers={"dnt": "1"})  # not a page view (JSON): not counted
    counts = consent_counts(engine)
    assert counts[("consent.signals", "dnt")] == 2
    assert counts[("consent.signals", "gpc")] == 1
    assert ("consent.signals", "pages") not in counts  # the page views are counted once, as pageviews
    assert sum(n for *_, n in engine.store.counts("pageviews")) == 3


def test_banner_impressions_count_renders_without_a_valid_choice(tmp_path: Path) -> None:
    app = starlette_app(f"sqlite:///{tmp_path / 'demo.db'}")
    with TestClient(app) as client:
        client.get("/", headers={"accept-language": "de-DE,de;q=0.9"})
        client.get("/pricing", headers={"accept-language": "en"})
        client.post("/_consent", json={"action": "reject_all"}, headers=ORIGIN)
        client.get("/")  # a choice is made: the banner is there (hidden), not an impression
        engine = app.engine
        counts = consent_counts(engine)
    assert counts[("consent.impressions", "1|de")] == 1
    assert counts[("consent.impressions", "1|en")] == 1
    assert sum(n for (m, _), n in counts.items() if m == "consent.impressions") == 2


def test_outcome_is_what_the_choice_grants() -> None:
    optional = frozenset({"a", "b"})
    assert outcome(frozenset(), optional) == "reject_all"
    assert outcome(frozenset({"a"}), optional) == "custom"
    assert outcome(frozenset({"a", "b"}), optional) == "accept_all"


ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
                   max_size=600)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_reading_the_policy_of_any_cookie_value_never_raises_and_trusts_only_a_signature(value: str) -> None:
    codec = ChoiceCodec(["k" * 40], "2", 3600, frozenset({"analytics"}))
    assert codec.policy_of(value) is None
    signed = ChoiceCodec(["k" * 40], "1", 3600, frozenset({"analytics"})).encode(
        Choice("a" * 22, frozenset({"analytics"}), "1", 0.0))
    assert codec.policy_of(signed) == "1"
    assert codec.policy_of(signed + value[:1]) in (None, "1")


def test_an_adapters_banner_helper_counts_impressions_too(tmp_path: Path) -> None:
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> str:
        return f"<html><body>{consent_banner(request, lang='fr')}</body></html>"

    engine = install(app, {"secret_keys": ["k" * 40], "storage_url": f"sqlite:///{tmp_path / 'ck.db'}"})
    with TestClient(app) as client:
        assert 'lang="fr"' in client.get("/").text
        client.post("/_consent", json={"action": "accept_all"}, headers=ORIGIN)
        client.get("/")
        counts = consent_counts(engine)
    assert counts[("consent.impressions", "1|fr")] == 1
    assert counts[("consent.choices", "1|accept_all")] == 1

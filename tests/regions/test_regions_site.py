"""One site, visitors from several places: the regime decided on the server, through the ASGI and
WSGI middlewares, from the MaxMind test database or a trusted edge network's headers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient
from flask import Flask, render_template_string

from consentkit.http import RequestView
from consentkit.ledger import verify
from consentkit_fastapi import consent_context, install
from consentkit_flask import ConsentKit, get_engine
from regions.regions_helpers import (
    ABSENT,
    ALL,
    CITY,
    GERMANY,
    LONDON,
    MILTON,
    NO_COUNTRY,
    SAN_DIEGO,
    choose_from,
    regional,
    state,
)

from conftest import choose, events


@pytest.mark.parametrize(("ip", "regime", "effective"), [
    (GERMANY, "gdpr", ["necessary"]),
    (LONDON, "gdpr", ["necessary"]),
    (SAN_DIEGO, "us_opt_out", ALL),
    (MILTON, "fallback", ["necessary"]),
    (NO_COUNTRY, "fallback", ["necessary"]),
    (ABSENT, "fallback", ["necessary"]),
])
def test_the_regime_comes_from_the_geoip_location(
    site: Callable[..., Any], ip: str, regime: str, effective: list[str]
) -> None:
    client, _ = regional(site)
    body = state(client, ip)
    assert body["regime"] == regime
    assert sorted(body["effective"]) == effective


def test_a_fallback_and_regimes_of_the_sites_own(site: Callable[..., Any]) -> None:
    client, _ = regional(site, regions={
        "regimes": [{"name": "california", "places": ["US-CA"], "mode": "opt_out", "default_granted": ["analytics"]},
                    {"name": "eu", "places": ["DE", "GB"], "mode": "opt_in"}],
        "fallback": {"name": "elsewhere", "mode": "notice"},
    })
    assert state(client, SAN_DIEGO)["effective"] == ["analytics", "necessary"]
    assert state(client, GERMANY)["effective"] == ["necessary"]
    far = state(client, MILTON)
    assert (far["regime"], sorted(far["effective"])) == ("elsewhere", ALL)


def test_without_regions_nothing_changes(site: Callable[..., Any]) -> None:
    client, engine = site(trusted_proxies=["127.0.0.0/8"], collection={"geoip_city_db": str(CITY)})
    assert engine.regional is None
    body = state(client, SAN_DIEGO)
    assert body["regime"] is None and body["effective"] == ["necessary"]
    page = client.get("/", headers={"x-forwarded-for": SAN_DIEGO, "cf-ipcountry": "US"})
    assert page.headers["vary"] == "Cookie, Sec-GPC, DNT" and "cache-control" not in page.headers


@pytest.mark.parametrize("edge", ["cloudflare", "cloudfront", "vercel", "appengine", "fastly"])
def test_edge_headers_from_a_trusted_proxy_decide(site: Callable[..., Any], edge: str) -> None:
    from consentkit.regions import EDGE_HEADERS

    country, region = EDGE_HEADERS[edge]
    client, _ = regional(site, regions={"edge": edge})
    # the edge says California, GeoIP would say Germany: the edge wins
    headers = {country: "US", **({region: "CA"} if region else {})}
    body = state(client, GERMANY, **headers)
    assert body["regime"] == "us_opt_out"
    page = client.get("/", headers={"x-forwarded-for": GERMANY, **headers})
    assert page.headers["vary"].split(", ")[:3] == ["Cookie", "Sec-GPC", "DNT"]
    assert country in page.headers["vary"].lower().split(", ")
    assert "cache-control" not in page.headers  # keyed by the edge header, the page may be shared
    # a value that is not a country code is not believed: GeoIP decides
    assert state(client, GERMANY, **{country: "XX"})["regime"] == "gdpr"
    assert state(client, GERMANY, **{country: "<script>"})["regime"] == "gdpr"


def test_edge_headers_from_an_untrusted_peer_are_ignored(site: Callable[..., Any]) -> None:
    client, _ = regional(site, regions={"edge": "cloudflare"}, trusted_proxies=["10.99.0.0/16"])
    # the peer (127.0.0.1) is no proxy of the site: neither its XFF nor its CF-IPCountry is believed
    body = state(client, GERMANY, **{"cf-ipcountry": "US", "cf-region-code": "CA"})
    assert body["regime"] == "fallback"  # 127.0.0.1 has no location
    page = client.get("/", headers={"cf-ipcountry": "US", "cf-region-code": "CA"})
    assert page.headers["cache-control"] == "private"


def test_pages_located_by_geoip_are_private(site: Callable[..., Any]) -> None:
    client, _ = regional(site)
    page = client.get("/", headers={"x-forwarded-for": LONDON})
    assert page.headers["cache-control"] == "private"
    # consentkit's own replies are never stored at all; that stays
    assert client.get("/_consent/state", headers={"x-forwarded-for": LONDON}).headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("app", "sent"), [
    (None, "private"),
    ("public, max-age=600", "private, max-age=600"),
    ("max-age=60, s-maxage=600", "private, max-age=60"),
    ("no-store", "no-store"),
    ("private, max-age=5", "private, max-age=5"),
])
def test_a_shared_cache_control_becomes_private(app: str | None, sent: str) -> None:
    from consentkit.regioncache import private_cache_control

    assert private_cache_control(app) == sent


@pytest.mark.parametrize(("ip", "gpc_effective"), [
    (GERMANY, ["necessary"]),
    (SAN_DIEGO, ["analytics", "chat", "necessary", "preferences"]),  # GPC opts out of marketing only
    (MILTON, ["necessary"]),
])
def test_gpc_in_each_regime(site: Callable[..., Any], ip: str, gpc_effective: list[str]) -> None:
    client, _ = regional(site)
    body = state(client, ip, **{"sec-gpc": "1"})
    assert body["effective"] == gpc_effective
    accepted = choose_from(client, ip, {"action": "accept_all"}, gpc=True)
    assert accepted["effective"] == gpc_effective  # a signal still wins over an opt-in (no override set)
    assert "marketing" in accepted["conflict"]


def test_a_traveller_keeps_their_choice_and_gets_new_defaults_without_one(site: Callable[..., Any]) -> None:
    client, engine = regional(site)
    # never chose: the defaults of wherever they are
    assert state(client, SAN_DIEGO)["effective"] == ALL
    assert state(client, GERMANY)["effective"] == ["necessary"]
    # chose in Germany (analytics only): the same choice in California, and back
    chosen = choose_from(client, GERMANY, {"action": "choose", "grant": ["analytics"]})
    assert chosen["regime"] == "gdpr" and chosen["effective"] == ["analytics", "necessary"]
    assert state(client, SAN_DIEGO)["effective"] == ["analytics", "necessary"]
    assert state(client, SAN_DIEGO)["regime"] == "us_opt_out"
    # rejected everything in California: nothing optional anywhere
    rejected = choose_from(client, SAN_DIEGO, {"action": "reject_all"})
    assert rejected["regime"] == "us_opt_out" and rejected["effective"] == ["necessary"]
    assert state(client, MILTON)["effective"] == ["necessary"]
    records = list(engine.store.ledger())
    assert [r.regime for r in records] == ["gdpr", "us_opt_out"]
    assert verify(records).ok


def test_california_is_measured_until_they_opt_out_or_send_gpc(site: Callable[..., Any]) -> None:
    client, engine = regional(site)
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO})
    client.get("/", headers={"x-forwarded-for": GERMANY})
    got = events(engine)
    assert len(got) == 1 and got[0]["country"] == "US" and got[0]["region"] == "CA"  # geo granted by default
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO, "sec-gpc": "1"})
    assert len(events(engine)) == 1  # GPC: no per-visitor event
    client.cookies.clear()
    choose_from(client, SAN_DIEGO, {"action": "reject_all"})
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO})
    assert len(events(engine)) == 1


def test_the_location_is_not_stored_without_the_geo_group(site: Callable[..., Any]) -> None:
    client, engine = regional(site, collection={"geoip_city_db": str(CITY), "fields": {"browser": "analytics"}})
    assert state(client, SAN_DIEGO)["regime"] == "us_opt_out"
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO})
    got = events(engine)
    assert len(got) == 1 and got[0]["country"] is None and got[0]["region"] is None


def test_regions_work_with_collection_off(site: Callable[..., Any]) -> None:
    client, engine = regional(site, collection={"enabled": False, "geoip_city_db": str(CITY)})
    assert engine.collector is None
    assert state(client, SAN_DIEGO)["regime"] == "us_opt_out"
    assert state(client, LONDON)["regime"] == "gdpr"


def test_the_ledger_keeps_old_records_verifiable(site: Callable[..., Any]) -> None:
    """Records from before regions (regime NULL) and after it sit in one chain that verifies."""
    plain, engine = site(trusted_proxies=["127.0.0.0/8"])
    choose(plain, {"action": "accept_all"})
    url = engine.config.storage_url
    client, later = regional(site, storage_url=url)
    choose_from(client, SAN_DIEGO, {"action": "reject_all"})
    records = list(later.store.ledger())
    assert [r.regime for r in records] == [None, "us_opt_out"]
    assert verify(records).ok


def test_consent_counters_by_regime(site: Callable[..., Any]) -> None:
    from consentkit.banner.render import banner_html
    from consentkit.consent_counters import REGIMES

    client, engine = regional(site)
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO, "sec-gpc": "1"})
    client.get("/", headers={"x-forwarded-for": GERMANY})
    ex = engine.begin(RequestView("GET", "/", "", {"x-forwarded-for": GERMANY, "host": "x"}, "127.0.0.1"))
    banner_html(engine.config, ex.state)
    choose_from(client, SAN_DIEGO, {"action": "reject_all"})
    engine.writer.flush()
    rows = dict(engine.store.query("SELECT key, count FROM ck_counts WHERE metric = ?", [REGIMES]))
    assert rows == {"1|us_opt_out|pages": 1, "1|us_opt_out|gpc": 1, "1|gdpr|pages": 1, "1|gdpr|impression": 1,
                    "1|us_opt_out|reject_all": 1}


def test_no_regime_counters_without_regions(site: Callable[..., Any]) -> None:
    client, engine = site()
    client.get("/")
    choose(client, {"action": "accept_all"})
    engine.writer.flush()
    assert engine.store.query("SELECT COUNT(*) FROM ck_counts WHERE metric = 'consent.regimes'") == [(0,)]


def test_templates_of_each_adapter_see_the_regime(tmp_path: Path) -> None:
    """`consent.regime` in a FastAPI (Jinja2), Flask and Django template."""
    cfg = {"secret_keys": ["k" * 40], "trusted_proxies": ["127.0.0.0/8"], "regions": {"edge": "cloudflare"}}
    (tmp_path / "page.html").write_text("<p id=regime>{{ consent.regime }}</p>")
    templates = Jinja2Templates(directory=str(tmp_path), context_processors=[consent_context])
    api = FastAPI()

    @api.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Any:
        return templates.TemplateResponse(request, "page.html")

    engine = install(api, {**cfg, "storage_url": f"sqlite:///{tmp_path / 'a.db'}"})
    with TestClient(api, client=("127.0.0.1", 5000)) as client:
        assert client.get("/", headers={"cf-ipcountry": "US", "cf-region-code": "CA"}).text == (
            "<p id=regime>us_opt_out</p>")
        assert client.get("/", headers={"cf-ipcountry": "AT"}).text == "<p id=regime>gdpr</p>"
    engine.close()

    app = Flask(__name__)
    app.config["CONSENTKIT"] = {**cfg, "storage_url": f"sqlite:///{tmp_path / 'f.db'}"}

    @app.get("/")
    def page() -> str:
        return render_template_string("<p>{{ consent.regime }}</p>")

    ConsentKit(app)
    try:
        got = app.test_client().get("/", headers={"CF-IPCountry": "DE"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert got.get_data(as_text=True) == "<p>gdpr</p>"
    finally:
        get_engine(app).close()


def test_the_audit_accepts_events_collected_under_an_opt_out_regimes_defaults(site: Callable[..., Any]) -> None:
    from consentkit.review import audit

    client, engine = regional(site)
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO})
    assert len(events(engine)) == 1 and events(engine)[0]["consent_id"] is None
    assert [f.as_dict() for f in audit(engine.store, engine.config, record=False).findings] == []
    # the same events judged without the site's regions: collected without consent
    plain = engine.config.model_copy(update={"regions": None})
    assert {f.check for f in audit(engine.store, plain, record=False).findings} == {"categories"}


def test_gpc_json_says_gpc_is_honoured_where_only_opt_out_regimes_honour_it(site: Callable[..., Any]) -> None:
    client, _ = regional(site, signals={"gpc_denies": []})
    assert client.get("/.well-known/gpc.json").json()["gpc"] is True
    assert state(client, SAN_DIEGO, **{"sec-gpc": "1"})["denied_by_signal"] == ["marketing"]
    assert state(client, GERMANY, **{"sec-gpc": "1"})["denied_by_signal"] == []
    plain, _ = site(signals={"gpc_denies": []})
    assert plain.get("/.well-known/gpc.json").status_code == 404


def test_a_failing_location_serves_the_fallback_regime_privately(site: Callable[..., Any],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    client, engine = regional(site, regions={"fallback": {"name": "unknown", "mode": "opt_in"}})

    class Failing:
        def locate(self, request: Any) -> Any:
            raise RuntimeError("location failed")

    engine.regional.locator = Failing()
    with caplog.at_level(logging.ERROR, logger="consentkit"):
        page = client.get("/", headers={"x-forwarded-for": SAN_DIEGO})
        body = state(client, SAN_DIEGO)
    assert page.status_code == 200 and page.headers["cache-control"] == "private"
    assert body["regime"] == "unknown" and body["effective"] == ["necessary"]
    assert "location failed" in caplog.text
    engine.writer.flush()
    assert [(m, k, n) for _, m, k, n in engine.store.counts("core.failed")] == [("core.failed", "location", 2)]

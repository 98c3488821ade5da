"""Consent-gated collection through the middleware, on both the ASGI and the WSGI path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import ORIGIN, choose, events

MAXMIND = Path(__file__).parents[1] / "data" / "maxmind"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GEO = {"geoip_city_db": str(MAXMIND / "GeoIP2-City-Test.mmdb"), "geoip_asn_db": str(MAXMIND / "GeoLite2-ASN-Test.mmdb")}
VISITOR = {"user-agent": UA, "accept-language": "de-CH,de;q=0.9,en;q=0.5", "x-forwarded-for": "81.2.69.142"}
PROXY = ["0.0.0.0/0", "::/0"]  # the test clients connect from a local address; trust it as the proxy


def pageviews(engine: Any) -> int:
    engine.writer.flush()
    return sum(n for *_, n in engine.store.counts("pageviews"))


def test_no_choice_stores_no_event_but_counts_traffic(site: Any) -> None:
    client, engine = site()
    client.get("/", headers=VISITOR)
    client.get("/", headers=VISITOR)
    assert events(engine) == []
    assert pageviews(engine) == 2


def test_accept_all_stores_every_field_with_its_basis(site: Any) -> None:
    client, engine = site(trusted_proxies=PROXY, collection={**GEO, "ip_mode": "truncated"})
    consent = choose(client, {"action": "accept_all"}).json()
    client.get("/?utm_source=news&utm_medium=email&gclid=abc&secret=1",
               headers={**VISITOR, "referer": "https://mail.google.com/mail/u/0?x=1"})
    (ev,) = events(engine)
    assert ev["kind"] == "pageview" and ev["method"] == "GET" and ev["status"] == 200
    assert ev["path"] == "/"  # the query string is dropped
    assert ev["host"] == "testserver"
    assert ev["utm_source"] == "news" and ev["utm_medium"] == "email" and ev["click_id"] == "gclid:abc"
    assert ev["referrer_host"] == "mail.google.com" and ev["referrer_path"] == "/mail/u/0"
    assert ev["referrer_class"] == "email"
    assert ev["ip"] == "81.2.69.0"
    assert (ev["country"], ev["city"]) == ("GB", "London")
    assert ev["browser"] == "Firefox" and ev["os"] == "Linux" and ev["device"] == "desktop"
    assert ev["language"] == "de"
    assert ev["visitor_id"] and ev["session_id"]
    assert ev["consent_id"] == consent["consent_id"] and ev["policy_version"] == "1"
    assert ev["basis"] == "analytics,chat,marketing,necessary,preferences"
    assert ev["duration_ms"] is not None and ev["duration_ms"] >= 0


def test_reject_dnt_and_gpc_store_no_per_visitor_event(site: Any) -> None:
    client, engine = site()
    choose(client, {"action": "reject_all"})
    client.get("/", headers=VISITOR)
    accepted, engine2 = site()
    choose(accepted, {"action": "accept_all"})
    accepted.get("/", headers={**VISITOR, "dnt": "1"})
    accepted.get("/", headers={**VISITOR, "sec-gpc": "1"})
    assert events(engine) == [] and events(engine2) == []
    assert pageviews(engine2) == 2


def test_under_a_signal_only_an_explicit_optin_the_site_lets_stand_stores_an_event(site: Any) -> None:
    """README's rule: no per-visitor event under DNT/GPC, unless `explicit_optin_overrides` is on and
    the visitor chose while the same signals were present."""
    gpc = {**VISITOR, "sec-gpc": "1"}
    off, engine_off = site(signals={"gpc_denies": ["marketing"]})
    choose(off, {"action": "accept_all"})
    off.get("/", headers=gpc)  # analytics is not covered, yet the signal stops every event
    assert events(engine_off) == []
    on, engine_on = site(signals={"explicit_optin_overrides": True, "gpc_denies": ["marketing"]})
    choose(on, {"action": "accept_all"})
    on.get("/", headers=gpc)  # chosen before the signal appeared: nothing per visitor
    assert events(engine_on) == []
    on.post("/_consent", json={"action": "accept_all"}, headers={**ORIGIN, "sec-gpc": "1"})
    on.get("/", headers=gpc)
    (ev,) = events(engine_on)
    assert ev["basis"] == "analytics,chat,marketing,necessary,preferences"  # given under GPC: it stands
    covered, engine_covered = site(signals={"explicit_optin_overrides": True})
    choose(covered, {"action": "accept_all"})
    covered.get("/", headers=gpc)
    assert events(engine_covered) == []
    covered.post("/_consent", json={"grant": ["analytics"]}, headers={**ORIGIN, "sec-gpc": "1"})
    covered.get("/", headers=gpc)
    (confirmed,) = events(engine_covered)
    assert confirmed["basis"] == "analytics,necessary"


def test_the_anonymous_counter_is_the_total_of_every_page_view_consented_or_not(site: Any) -> None:
    client, engine = site()
    client.get("/", headers=VISITOR)  # before choosing: counted, no event
    choose(client, {"action": "accept_all"})
    client.get("/", headers=VISITOR)
    client.get("/", headers=VISITOR)
    assert len(events(engine)) == 2
    assert pageviews(engine) == 3
    off, engine_off = site(collection={"aggregate": False})
    choose(off, {"action": "accept_all"})
    off.get("/", headers=VISITOR)
    off.get("/", headers={**VISITOR, "sec-gpc": "1"})
    assert len(events(engine_off)) == 1 and pageviews(engine_off) == 0


def test_fields_follow_their_own_category(site: Any) -> None:
    fields = {"ip": "marketing", "geo": "marketing", "browser": "analytics", "language": "preferences",
              "visitor_id": "analytics", "session_id": "analytics"}
    client, engine = site(trusted_proxies=PROXY, collection={**GEO, "fields": fields})
    choose(client, {"grant": ["analytics"]})
    client.get("/", headers=VISITOR)
    (ev,) = events(engine)
    assert ev["browser"] == "Firefox" and ev["visitor_id"]
    assert ev["ip"] is ev["country"] is ev["language"] is ev["os"] is ev["referrer_class"] is None


def test_what_does_not_count_as_a_page_view(site: Any) -> None:
    client, engine = site(collection={"exclude_paths": ["/whoami"]})
    choose(client, {"action": "accept_all"})
    client.head("/")
    client.get("/", headers={"sec-purpose": "prefetch"})
    client.get("/", headers={"purpose": "prefetch"})
    client.get("/data")  # JSON, not HTML
    client.get("/whoami")  # excluded by glob
    client.get("/_consent/state")  # consentkit's own
    client.get("/static/app.css")
    assert events(engine) == []
    client.get("/")
    assert len(events(engine)) == 1


def test_kept_query_keys_and_capped_paths(site: Any) -> None:
    client, engine = site(collection={"keep_query": ["page"]})
    choose(client, {"action": "accept_all"})
    client.get("/?page=2&email=a@b.c")
    (ev,) = events(engine)
    assert ev["path"] == "/?page=2"


def test_ip_modes(site: Any) -> None:
    results = {}
    for mode in ("full", "truncated", "hash", "none"):
        client, engine = site(trusted_proxies=PROXY, collection={"ip_mode": mode})
        choose(client, {"action": "accept_all"})
        client.get("/", headers={"x-forwarded-for": "2001:db8:1:2::7"})
        results[mode] = events(engine)[0]["ip"]
    assert results["full"] == "2001:db8:1:2::7"
    assert results["truncated"] == "2001:db8:1::"
    assert results["hash"] and len(results["hash"]) == 32 and ":" not in results["hash"]
    assert results["none"] is None


def test_spoofed_forwarded_header_from_an_untrusted_peer_is_ignored(site: Any) -> None:
    client, engine = site(collection={"ip_mode": "full"})
    choose(client, {"action": "accept_all"})
    client.get("/", headers={"x-forwarded-for": "6.6.6.6"})
    ev = events(engine)[0]
    assert ev["ip"] != "6.6.6.6"


def test_beacon_records_engaged_time_scroll_and_outbound_clicks(site: Any) -> None:
    client, engine = site()
    choose(client, {"action": "accept_all"})
    client.get("/")
    body = {"path": "/pricing", "engaged_ms": 5400, "scroll": 80,
            "clicks": ["https://partner.example/a?token=x", "javascript:alert(1)"]}
    r = client.post("/_consent/beacon", json=body, headers=ORIGIN)
    assert r.status_code == 204 and r.content == b""
    beacon = [e for e in events(engine) if e["kind"] == "beacon"]
    assert len(beacon) == 1
    assert (beacon[0]["path"], beacon[0]["engaged_ms"], beacon[0]["scroll"]) == ("/pricing", 5400, 80)
    assert beacon[0]["clicks"] == '["https://partner.example/a"]'


def test_beacon_without_consent_or_malformed_is_a_silent_204(site: Any) -> None:
    client, engine = site()
    assert client.post("/_consent/beacon", json={"path": "/", "engaged_ms": 1}).status_code == 204
    choose(client, {"action": "accept_all"})
    for bad in ({"path": "nope"}, {"path": "/", "engaged_ms": -1}, {"path": "/", "scroll": 101}, [1]):
        assert client.post("/_consent/beacon", json=bad).status_code == 204
    assert client.post("/_consent/beacon", content=b"x" * 20000,
                       headers={"content-type": "application/json"}).status_code == 413
    assert [e for e in events(engine) if e["kind"] == "beacon"] == []


def test_a_beacon_with_half_a_surrogate_pair_costs_no_other_event(site: Any) -> None:
    client, engine = site()
    choose(client, {"action": "accept_all"})
    client.get("/")
    r = client.post("/_consent/beacon", content=b'{"path": "/\\ud800", "engaged_ms": 1}', headers=ORIGIN)
    assert r.status_code == 204
    client.get("/?again=1")
    assert [(e["kind"], e["path"]) for e in events(engine)] == [("pageview", "/"), ("pageview", "/")]
    assert engine.writer.dropped == 0 and engine.writer.failures == 0


def test_beacon_is_rate_limited_per_visitor(site: Any) -> None:
    client, engine = site(collection={"beacon_per_minute": 3})
    choose(client, {"action": "accept_all"})
    client.get("/")
    for _ in range(6):
        assert client.post("/_consent/beacon", json={"path": "/", "engaged_ms": 10}).status_code == 204
    assert len([e for e in events(engine) if e["kind"] == "beacon"]) == 3


def test_pixel_records_without_setting_a_cookie(site: Any) -> None:
    client, engine = site()
    r = client.get("/_consent/pixel.gif?p=/newsletter")
    assert r.headers["content-type"] == "image/gif" and r.content.startswith(b"GIF89a")
    assert "set-cookie" not in r.headers
    assert events(engine) == []  # no consent: nothing per visitor
    choose(client, {"action": "accept_all"})
    client.cookies.delete("ck_vid")
    r = client.get("/_consent/pixel.gif?p=/newsletter&r=https://t.co/x")
    assert "set-cookie" not in r.headers
    (ev,) = events(engine)
    assert ev["kind"] == "pixel" and ev["path"] == "/newsletter" and ev["referrer_class"] == "social"
    assert ev["visitor_id"] is None


def test_store_down_pages_still_served_and_drops_counted(site: Any) -> None:
    client, engine = site()
    choose(client, {"action": "accept_all"})
    engine.store.execute("DROP TABLE ck_events")
    for _ in range(3):
        assert client.get("/").status_code == 200
    engine.writer.flush()
    assert engine.writer.dropped == 3 and engine.writer.failures >= 1


def test_full_queue_drops_the_newest_and_counts(site: Any) -> None:
    client, engine = site(collection={"queue_size": 10, "batch_size": 1000, "flush_interval_ms": 600000})
    choose(client, {"action": "accept_all"})
    with engine.writer.paused():  # as behind a store too slow to drain the queue
        for _ in range(15):
            client.get("/")
        assert engine.writer.pending == 10 and engine.writer.dropped == 5
    engine.writer.flush()
    assert engine.writer.pending == 0 and len(events(engine)) == 10


def test_bots_flagged_or_dropped(site: Any) -> None:
    bot = {"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
    client, engine = site()
    choose(client, {"action": "accept_all"})
    client.get("/", headers=bot)
    (ev,) = events(engine)
    assert ev["is_bot"] and ev["device"] == "bot"
    dropping, engine2 = site(collection={"bots": "drop"})
    choose(dropping, {"action": "accept_all"})
    dropping.get("/", headers=bot)
    assert events(engine2) == []


def test_streaming_response_passes_through_and_is_counted_once(kind: str, site: Any) -> None:
    if kind == "wsgi":
        pytest.skip("streaming is an ASGI message sequence; WSGI iterables are covered in test_passthrough")
    client, engine = site()
    choose(client, {"action": "accept_all"})
    r = client.get("/stream")
    assert r.text == "<p>0</p><p>1</p><p>2</p>"
    assert len(events(engine)) == 1


def test_a_path_with_non_ascii_letters_is_stored_alike_from_asgi_and_wsgi(tmp_path: Path) -> None:
    """PEP 3333 hands PATH_INFO over as its UTF-8 bytes read as latin-1; ASGI servers decode it."""
    import asyncio
    import time
    from wsgiref.util import setup_testing_defaults

    from consentkit import ConsentMiddleware, WSGIConsentMiddleware
    from consentkit.consent import Choice, new_id

    from conftest import WSGISite, make_config

    async def any_page(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<html><body>hi</body></html>"})

    def config(db: str) -> Any:
        return make_config(tmp_path, storage_url=f"sqlite:///{tmp_path / db}",
                           collection={"exclude_paths": ["/privé/*"]})

    wsgi = WSGIConsentMiddleware(WSGISite(), config=config("w.db"))
    asgi = ConsentMiddleware(any_page, config=config("a.db"))
    stored = {}
    for name, mw in (("wsgi", wsgi), ("asgi", asgi)):
        engine = mw.engine
        choice = Choice(new_id(), engine.config.optional, engine.config.policy_version, time.time())
        cookie = f"ck_consent={engine.codec.encode(choice)}"
        for path in ("/café/日本", "/privé/x"):
            if isinstance(mw, WSGIConsentMiddleware):
                environ: dict[str, Any] = {"PATH_INFO": path.encode().decode("latin-1"), "HTTP_COOKIE": cookie}
                setup_testing_defaults(environ)
                body = mw(environ, lambda status, headers, exc_info=None: None)
                b"".join(body)
                getattr(body, "close", lambda: None)()
            else:
                scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
                         "query_string": b"", "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
                         "client": ("127.0.0.1", 1), "scheme": "http", "http_version": "1.1", "root_path": "",
                         "server": ("testserver", 80)}

                async def receive() -> dict[str, Any]:
                    return {"type": "http.request", "body": b"", "more_body": False}

                async def send(message: dict[str, Any]) -> None:
                    return None

                asyncio.run(mw(scope, receive, send))
        stored[name] = [e["path"] for e in events(engine)]
        engine.close()
    assert stored["wsgi"] == stored["asgi"] == ["/café/日本"]  # the excluded glob matched the decoded path too

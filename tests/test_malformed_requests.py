"""Requests no browser sends: each is answered (4xx, or dropped from an event), never a 500."""

from __future__ import annotations

from typing import Any

from consentkit.storage.schema import EVENT_FIELDS

from conftest import ORIGIN, choose

MALFORMED_URLS = ("http://[", "https://[abc]", "//a]b/", "http://[x")


def events(engine: Any) -> list[dict[str, Any]]:
    engine.writer.flush()
    rows = engine.store.query(f"SELECT {', '.join(EVENT_FIELDS)} FROM ck_events ORDER BY id")
    return [dict(zip(EVENT_FIELDS, r, strict=True)) for r in rows]


def test_a_malformed_origin_or_referer_is_a_cross_site_refusal(site: Any) -> None:
    client, engine = site()
    for url in MALFORMED_URLS:
        for header in ("origin", "referer"):
            for path in ("/_consent", "/_consent/chat/click"):
                r = client.post(path, json={"action": "accept_all"}, headers={header: url})
                assert r.status_code == 403, (path, header, url, r.text)
                assert "cross-site" in r.json()["error"]
    assert list(engine.store.ledger()) == []


def test_a_malformed_referrer_or_click_is_dropped_from_the_event(site: Any) -> None:
    client, engine = site()
    choose(client, {"action": "accept_all"})
    for url in MALFORMED_URLS:
        r = client.get("/_consent/pixel.gif", headers={"referer": url})
        assert r.status_code == 200 and r.content.startswith(b"GIF89a")
        body = {"path": "/x", "clicks": [url, "https://partner.example/a?b=1"]}
        assert client.post("/_consent/beacon", json=body, headers=ORIGIN).status_code == 204
    stored = events(engine)
    assert [e["path"] for e in stored if e["kind"] == "pixel"] == ["/"] * len(MALFORMED_URLS)
    beacons = [e for e in stored if e["kind"] == "beacon"]
    assert len(beacons) == len(MALFORMED_URLS)
    assert all(e["clicks"] == '["https://partner.example/a"]' for e in beacons)


def test_a_form_with_too_many_fields_is_a_400_naming_the_problem(site: Any) -> None:
    client, engine = site()
    form = "&".join(["grant=analytics"] * 65) + "&action=choose"
    r = client.post("/_consent", content=form.encode(), headers={
        **ORIGIN, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "more than 64 fields" in r.json()["error"]
    assert list(engine.store.ledger()) == []
    r = client.post("/_consent/beacon", content=form.encode(), headers={
        **ORIGIN, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 204

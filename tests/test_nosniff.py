"""Every reply of consentkit's own endpoints says `X-Content-Type-Options: nosniff`."""

from __future__ import annotations

from typing import Any

from conftest import ORIGIN

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/_consent/state", {}),
    ("GET", "/_consent/banner.js", {}),
    ("GET", "/_consent/banner.css", {}),
    ("GET", "/_consent/chat", {}),
    ("GET", "/_consent/chat.js", {}),
    ("POST", "/_consent/chat/click", {"headers": ORIGIN}),
    ("GET", "/_consent/pixel.gif", {}),
    ("POST", "/_consent/beacon", {"json": {"path": "/"}}),
    ("POST", "/_consent", {"json": {"action": "accept_all"}, "headers": ORIGIN}),
    ("POST", "/_consent", {"json": {"action": "nope"}, "headers": ORIGIN}),
    ("POST", "/_consent", {"json": {"action": "accept_all"}, "headers": {"origin": "https://evil.example"}}),
    ("POST", "/_consent", {"content": b"{}" + b" " * 20_000, "headers": {**ORIGIN, "content-type": "text/plain"}}),
    ("GET", "/_consent", {}),
    ("HEAD", "/_consent/state", {}),
    ("GET", "/_consent/%3Cscript%3E", {}),
    ("GET", "/.well-known/gpc.json", {}),
    ("POST", "/.well-known/gpc.json", {}),
]


def test_every_reply_of_consentkits_own_endpoints_is_nosniff(site: Any) -> None:
    client, _ = site()
    statuses = set()
    for method, path, kwargs in REQUESTS:
        r = client.request(method, path, **kwargs)
        assert r.headers.get("x-content-type-options") == "nosniff", (method, path, r.status_code)
        statuses.add(r.status_code)
    assert {200, 204, 303, 400, 403, 404, 405, 413} - statuses <= {303}
    etag = client.get("/_consent/banner.js").headers["etag"]
    r = client.get("/_consent/banner.js", headers={"if-none-match": etag})
    assert r.status_code == 304 and r.headers["x-content-type-options"] == "nosniff"
    assert "x-content-type-options" not in client.get("/").headers  # the app's own pages are the app's

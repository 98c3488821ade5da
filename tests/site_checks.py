"""Checks every framework's test site must pass, written once."""

from __future__ import annotations

from typing import Any


def has_banner(html: str) -> bool:
    """The server-rendered banner: its consent form posts to the prefix."""
    return 'method="post" action="/_consent"' in html


def check_consent_round_trip(client: Any, base: str) -> None:
    """Over real HTTP: the banner shows and nothing is measured or set before a choice; after
    "accept all" the gated markup renders, the analytics cookie survives and the app sees consent."""
    first = client.get("/")
    assert first.status_code == 200 and has_banner(first.text) and "<p>measured</p>" not in first.text
    assert "_ga" not in client.cookies
    chosen = client.post("/_consent", json={"action": "accept_all"}, headers={"origin": base})
    assert chosen.status_code == 200, chosen.text
    assert "ck_consent" in client.cookies
    again = client.get("/")
    assert "<p>measured</p>" in again.text and "_ga" in client.cookies
    assert "analytics" in client.get("/whoami").json()["effective"]

"""Helpers shared by the browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Server:
    url: str
    db: Path


def cookie_names(page: Any) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def server_state(page: Any) -> dict[str, Any]:
    """What the server says, asked with the page's own cookies."""
    resp = page.request.get("/_consent/state")
    assert resp.status == 200
    data: dict[str, Any] = resp.json()
    return data


def open_banner(page: Any, path: str = "/") -> None:
    page.goto(path)
    page.wait_for_function("window.consentkit && typeof window.consentkit.get === 'function'")


def post_of_choice(page: Any) -> Any:
    """Context manager catching the banner's POST to the consent endpoint."""
    return page.expect_response(
        lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith("/_consent")
    )

"""Fixtures for the chat tests: `chat_site(**config)` serves tests/chat/chat_apps.py via ASGI or WSGI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from chat.chat_apps import WSGIApp, asgi_app
from chat.chat_helpers import BROWSER, LIVECHAT
from consentkit import ConsentMiddleware, WSGIConsentMiddleware
from consentkit.engine import Engine

from conftest import make_config


@pytest.fixture
def chat_site(kind: str, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """`chat_site(**config)` → (client, engine, app); `app` is the WSGI app (or None for ASGI)."""
    made: list[tuple[Any, Engine]] = []

    def build(**overrides: Any) -> tuple[httpx.Client, Engine, WSGIApp | None]:
        overrides.setdefault("chat", LIVECHAT)
        overrides.setdefault("storage_url", f"sqlite:///{tmp_path / f'chat{len(made)}.db'}")
        cfg = make_config(tmp_path, **overrides)
        ref: list[Any] = []
        client: httpx.Client
        wsgi: WSGIApp | None = None
        if kind == "asgi":
            mw = ConsentMiddleware(asgi_app(ref), config=cfg)
            client = TestClient(mw, client=("127.0.0.1", 50000))
            engine = mw.engine
        else:
            wsgi = WSGIApp(ref)
            wmw = WSGIConsentMiddleware(wsgi, config=cfg)
            client = httpx.Client(transport=httpx.WSGITransport(app=wmw), base_url="http://testserver")
            engine = wmw.engine
        client.headers["user-agent"] = BROWSER  # httpx's own user agent is a known bot
        ref.append(engine)
        made.append((client, engine))
        return client, engine, wsgi

    yield build
    for client, engine in made:
        client.close()
        engine.close()

"""The three example sites boot and render their pages, through each framework's own test client."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GATED_SCRIPT = '<script type="text/plain" data-consent="analytics">'
EMBED = '<template data-consent="marketing"><iframe src="/embed"'
ORIGIN = {"origin": "http://testserver"}


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples' data goes to a temporary database; their secrets are set (and restored) here."""
    db = tmp_path / "example.db"
    monkeypatch.setenv("CONSENTKIT_STORAGE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("CONSENTKIT_SECRET_KEYS", "example-test-" + "s" * 40)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "example-test-" + "d" * 40)
    return db


def check_pages(get: Any, post: Any) -> None:
    home = get("/")
    assert home.status_code == 200
    html = home.text
    assert 'method="post" action="/_consent"' in html  # the banner
    assert "/_consent/banner.js" in html  # its assets
    assert GATED_SCRIPT in html and EMBED in html
    assert 'data-consentkit-open>Privacy settings</a>' in html
    assert '<p data-unless-consent="analytics">We do not measure your visit.</p>' in html
    assert '<p class="on" data-when-consent="analytics" hidden>Thanks' in html
    privacy = get("/privacy").text
    assert "You have not chosen yet" in privacy and "Analytics: <span class=\"off\">off</span>" in privacy
    assert "How we pick our teas" in get("/embed").text
    # the chat: a consent placeholder until "chat" is allowed, never the provider's script before
    assert "Allow and open chat" in html and '"mode":"placeholder"' in html
    assert "Allow and open chat" not in privacy  # excluded by the chat rules
    assert "demo-chat" in get("/chat-widget.js").text
    assert get("/teas").status_code == 200
    assert post("/_consent", {"action": "accept_all"}).status_code == 200
    assert "Analytics: <span class=\"on\">on</span>" in get("/privacy").text
    after = get("/").text
    assert '<p class="on" data-when-consent="analytics">Thanks for helping us improve the shop.</p>' in after
    assert '<p data-unless-consent="analytics" hidden>We do not measure' in after
    assert "/chat-widget.js" in after and '"mode":"placeholder"' not in after  # the chat itself


def test_flask_example(env: Path) -> None:
    module = load(EXAMPLES / "flask_app" / "app.py", "example_flask_app")
    client = module.app.test_client()
    try:
        check_pages(client.get, lambda url, body: client.post(url, json=body, headers={"origin": "http://localhost"}))
        theme = client.get("/theme?dark=1")
        assert "theme=dark" in theme.headers.get("Set-Cookie", "")  # preferences were granted
    finally:
        module.get_engine(module.app).close()
        sys.modules.pop("example_flask_app", None)
    assert env.exists()


def test_fastapi_example(env: Path) -> None:
    from fastapi.testclient import TestClient

    module = load(EXAMPLES / "fastapi_app" / "app.py", "example_fastapi_app")
    try:
        with TestClient(module.app) as client:
            check_pages(client.get, lambda url, body: client.post(url, json=body, headers=ORIGIN))
            assert client.get("/api/consent").json()["analytics"] is True
            assert "/_consent/state" in client.get("/openapi.json").json()["paths"]
    finally:
        module.engine.close()
        sys.modules.pop("example_fastapi_app", None)


@pytest.fixture
def django_example(env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    import django
    from django.conf import settings

    if not settings.configured:  # Django's settings are process-wide: set a bare minimum once
        settings.configure(SECRET_KEY="x" * 50, INSTALLED_APPS=["consentkit_django"], DATABASES={}, USE_TZ=True)
        django.setup()
    from django.test import override_settings

    from consentkit_django import conf

    monkeypatch.syspath_prepend(str(EXAMPLES / "django_site"))
    module = importlib.import_module("djsite.settings")
    names = ["ROOT_URLCONF", "INSTALLED_APPS", "MIDDLEWARE", "TEMPLATES", "SESSION_ENGINE", "ALLOWED_HOSTS",
             "CONSENTKIT", "DEBUG"]
    with override_settings(**{n: getattr(module, n) for n in names}):
        yield module
        conf.reset()
    for name in [m for m in sys.modules if m == "djsite" or m.startswith("djsite.")]:
        del sys.modules[name]


def test_django_example(django_example: ModuleType) -> None:
    import json

    from django.core import checks
    from django.test import Client

    assert checks.run_checks(tags=["consentkit"]) == []
    client = Client()

    def get(url: str) -> Any:
        response = client.get(url)
        response.text = response.content.decode()
        return response

    def post(url: str, body: dict[str, Any]) -> Any:
        return client.post(url, json.dumps(body), content_type="application/json", headers=ORIGIN)

    check_pages(get, post)
    theme = client.get("/theme?dark=1")
    assert theme.cookies["theme"].value == "dark"

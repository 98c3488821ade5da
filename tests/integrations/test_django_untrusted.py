"""Hostile requests through Django's own WSGI and ASGI handlers with consentkit's middleware.

The same property as tests/test_whole_requests.py (no exception escapes, no response header byte
RFC 9110 does not allow, nothing granted without a valid signed choice), and the Django side of
the regressions: a Content-Length of Unicode digits, nosniff, failing closed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        SECRET_KEY="consentkit-tests-" + "d" * 40, ALLOWED_HOSTS=["*"], INSTALLED_APPS=["consentkit_django"],
        MIDDLEWARE=[], ROOT_URLCONF=__name__, DATABASES={}, USE_TZ=True,
    )
    django.setup()

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import override_settings
from django.urls import path
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from consentkit_django import conf
from hostile_requests import APP_COOKIES, REQUESTS, HostileRequest, check_response
from raw_requests import asgi_call, wsgi_call

SECRET = "k" * 40
EXAMPLES = 2000


def page(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<html><body><p>page</p></body></html>")
    for name in APP_COOKIES:
        response.set_cookie(name.decode(), "v")
    return response


def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"effective": sorted(request.consent.effective)})  # type: ignore[attr-defined]


urlpatterns = [path("", page), path("page", page), path("whoami", whoami)]


@pytest.fixture(scope="module")
def django_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = tmp_path_factory.mktemp("django-untrusted") / "ck.db"
    with override_settings(
        ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], MIDDLEWARE=["consentkit_django.middleware.ConsentMiddleware"],
        INSTALLED_APPS=["consentkit_django"], CONSENTKIT={"secret_keys": [SECRET], "storage_url": f"sqlite:///{db}"},
    ):
        engine = conf.get_engine()
        yield WSGIHandler(), ASGIHandler(), engine
        conf.reset()


@hypothesis_settings(max_examples=EXAMPLES, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(REQUESTS)
def test_any_request_through_django(django_site: Any, req: HostileRequest) -> None:
    wsgi, _, engine = django_site
    req = req.signed(engine)
    check_response(req, wsgi_call(wsgi, req.method, req.path, req.headers, req.body, req.query),
                   engine.config.required)


@hypothesis_settings(max_examples=EXAMPLES // 4, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(REQUESTS)
def test_any_request_through_django_under_asgi(django_site: Any, req: HostileRequest) -> None:
    _, asgi, engine = django_site
    req = req.signed(engine)
    check_response(req, asgi_call(asgi, req.method, req.path, req.headers, req.body, req.query),
                   engine.config.required)


@pytest.mark.parametrize("declared", ["²", "¹0", "5²"])
def test_a_content_length_of_unicode_digits_is_not_a_crash(django_site: Any, declared: str) -> None:
    wsgi, asgi, _ = django_site
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver"), (b"content-type", b"application/json"),
               (b"content-length", declared.encode("latin-1"))]
    for call, app in ((wsgi_call, wsgi), (asgi_call, asgi)):
        r = call(app, "POST", "/_consent", headers, b'{"action": "accept_all"}')
        assert r.status < 500, (call.__name__, r.body)
        assert r.header_values(b"x-content-type-options") == [b"nosniff"]


def test_own_replies_are_nosniff(django_site: Any) -> None:
    wsgi, _, _ = django_site
    for method, target in (("GET", "/_consent/state"), ("GET", "/_consent/nope"), ("POST", "/_consent"),
                           ("GET", "/.well-known/gpc.json"), ("POST", "/_consent/beacon")):
        r = wsgi_call(wsgi, method, target, [(b"host", b"testserver")], b"{}")
        assert r.header_values(b"x-content-type-options") == [b"nosniff"], (method, target, r.status)


def test_a_failing_core_lets_only_required_cookies_through(
    django_site: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wsgi, _, engine = django_site

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("cookie control failed")

    monkeypatch.setattr(engine, "added_cookies", failing)
    with caplog.at_level(logging.ERROR, logger="consentkit"):
        r = wsgi_call(wsgi, "GET", "/", [(b"host", b"testserver")])
    assert r.status == 200 and b"page" in r.body
    assert [v.partition(b"=")[0].strip() for v in r.header_values(b"set-cookie")] == [b"sessionid"]
    assert "only required categories' cookies pass" in caplog.text
    assert json.loads(wsgi_call(wsgi, "GET", "/whoami", [(b"host", b"testserver")]).body) == {
        "effective": ["necessary"]}


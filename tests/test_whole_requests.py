"""Hypothesis over whole hostile requests, through the ASGI and the WSGI middleware.

No exception escapes consentkit, no response header carries a byte RFC 9110 does not allow, and
nothing is granted without a valid signed choice (`hostile_requests.check_response`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from consentkit import ConsentConfig, ConsentMiddleware, WSGIConsentMiddleware
from consentkit.engine import Engine
from hostile_requests import APP_COOKIES, REQUESTS, HostileRequest, check_response
from raw_requests import asgi_call, wsgi_call

from conftest import SECRET

EXAMPLES = 2500
"""Per middleware; with the Django adapter's and the parsers' own, some twenty thousand examples per run."""
PAGE_HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"vary", b"Accept-Encoding"),
                *((b"set-cookie", name + b"=v; Path=/") for name in APP_COOKIES)]


def _state(environ_or_scope: dict[str, Any]) -> bytes:
    return json.dumps({"effective": sorted(environ_or_scope["consentkit"].effective)}).encode()


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A page that sets a cookie of every category, and /whoami, which says what is in effect."""
    while (await receive()).get("more_body"):
        pass
    if scope["path"] == "/whoami":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": _state(scope)})
        return
    await send({"type": "http.response.start", "status": 200, "headers": list(PAGE_HEADERS)})
    await send({"type": "http.response.body", "body": b"<html><body><p>page</p></body></html>"})


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/whoami":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [_state(environ)]
    start_response("200 OK", [(k.decode(), v.decode()) for k, v in PAGE_HEADERS])
    return [b"<html><body><p>page</p></body></html>"]


@pytest.fixture(scope="module")
def engine() -> Any:
    cfg = ConsentConfig(secret_keys=[SECRET], storage_url="sqlite://:memory:", trusted_proxies=["10.0.0.0/8"],
                        collection={"keep_query": ["q", "p"]})
    made = Engine(cfg)
    made.start()
    yield made
    made.close()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
          HealthCheck.too_slow, HealthCheck.data_too_large])
@given(REQUESTS)
def test_any_request_through_the_asgi_middleware(engine: Engine, req: HostileRequest) -> None:
    req = req.signed(engine)
    check_response(req, asgi_call(ConsentMiddleware(asgi_app, engine=engine), req.method, req.path, req.headers,
                                  req.body, req.query), engine.config.required)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
          HealthCheck.too_slow, HealthCheck.data_too_large])
@given(REQUESTS)
def test_any_request_through_the_wsgi_middleware(engine: Engine, req: HostileRequest) -> None:
    req = req.signed(engine)
    check_response(req, wsgi_call(WSGIConsentMiddleware(wsgi_app, engine=engine), req.method, req.path,
                                  req.headers, req.body, req.query), engine.config.required)

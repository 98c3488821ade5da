"""The chat on Django's responses: the page's CSP nonce, and the core's chat plan applied to the
response body (what the ASGI and WSGI middlewares do for the chat)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from consentkit.engine import Engine
from consentkit.exchange import Exchange

try:
    from django.middleware.csp import get_nonce as _django_nonce  # Django 6.0+
except ImportError:  # Django 5.2
    _django_nonce = None


def request_nonce(request: Any, found: Any = None) -> str | None:
    """The page's CSP nonce: `found` (e.g. the ``csp_nonce`` template variable), Django's own (6.0+),
    or ``request.csp_nonce`` (django-csp). Django's is lazy: reading it here is what puts it into the
    header its middleware writes afterwards."""
    nonce = found
    if nonce is None and request is not None:
        if _django_nonce is not None:
            nonce = _django_nonce(request)
        if nonce is None:
            nonce = getattr(request, "csp_nonce", None)
    text = str(nonce) if nonce is not None else ""
    return text or None


_PLAN_HEADERS = ("content-encoding", "content-length", "content-security-policy")


def insert_chat(engine: Engine, ex: Exchange, request: HttpRequest, response: HttpResponseBase) -> None:
    """What the core's middlewares do for the chat, on Django's response (streaming ones pass untouched)."""
    if response.streaming or not isinstance(response, HttpResponse):
        return
    headers = response.headers
    given = [(name, headers[name]) for name in _PLAN_HEADERS if name in headers]
    # With a CSP header the core takes the nonce from it; otherwise request.csp_nonce, which a CSP
    # middleware listed before this one puts into the header it adds afterwards.
    hint = None if "content-security-policy" in headers else request_nonce(request)
    plan = engine.chat.plan(ex, response.status_code, headers.get("content-type", ""), given, hint)
    if plan is None:
        return
    body = response.content
    new = plan.apply(body)
    if new is not body:
        response.content = new
        if "content-length" in headers:
            headers["Content-Length"] = str(len(new))

"""The Django middleware: translation between Django's request/response and the consentkit core.

Sync and async capable: under WSGI it runs synchronously, under ASGI as a coroutine, so Django
never has to switch threads for it. consentkit's own URLs (``CONSENTKIT["prefix"]``, default
``/_consent``, and ``/.well-known/gpc.json``) are answered here, before any view, CSRF or session
middleware; everything else goes to the site with ``request.consent`` set, and the response's
headers and cookies pass through the core's cookie control on the way out.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, Morsel
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from consentkit import endpoints
from consentkit.engine import Engine, Exchange
from consentkit.http import Reply, RequestView, headers_from_environ
from consentkit_django.conf import get_engine

log = logging.getLogger("consentkit")
GetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]
_BOOL_ATTRS = frozenset({"secure", "httponly"})


class ConsentMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | AsyncGetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        get_engine()  # a bad configuration fails when the server loads its middleware, not later

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        engine = get_engine()
        ex = begin(engine, request)
        if engine.is_own_path(ex.request.path):
            body = b""
            if endpoints.needs_body(engine, ex.request):
                got = read_body(request, engine.config.max_body_bytes)
                if got is None:
                    return to_response(too_large(engine), head=False)
                body = got
            return to_response(endpoints.handle(engine, ex, body), head=ex.request.method == "HEAD")
        response = self.get_response(request)
        return finish(engine, ex, response)  # type: ignore[arg-type]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        engine = get_engine()
        ex = begin(engine, request)
        if engine.is_own_path(ex.request.path):
            head = ex.request.method == "HEAD"
            if endpoints.needs_body(engine, ex.request):
                body = read_body(request, engine.config.max_body_bytes)
                if body is None:
                    return to_response(too_large(engine), head=False)
                # Ledger writes are synchronous and durable: keep them off the event loop.
                reply = await sync_to_async(endpoints.handle, thread_sensitive=False)(engine, ex, body)
                return to_response(reply, head=head)
            return to_response(endpoints.handle(engine, ex, b""), head=head)
        response = await self.get_response(request)  # type: ignore[misc]
        return finish(engine, ex, response)


def begin(engine: Engine, request: HttpRequest) -> Exchange:
    meta = request.META
    headers = headers_from_environ(meta)
    if "host" not in headers:  # HTTP/1.0 clients and Django's test client: the server's name (PEP 3333)
        headers["host"] = _server_host(meta, request.scheme)
    view = RequestView(
        request.method or "GET",
        request.path_info,
        meta.get("QUERY_STRING", ""),
        headers,
        meta.get("REMOTE_ADDR") or None,
        request.scheme or "http",  # honours SECURE_PROXY_SSL_HEADER, as the rest of the site does
    )
    ex = engine.begin(view)
    request.consent = ex.state  # type: ignore[attr-defined]
    return ex


def _server_host(meta: dict[str, Any], scheme: str | None) -> str:
    name = str(meta.get("SERVER_NAME", ""))
    port = str(meta.get("SERVER_PORT", ""))
    default = "443" if scheme == "https" else "80"
    return name if not port or port == default else f"{name}:{port}"


def read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The request body, or None once it is known to exceed `limit` (checked before reading)."""
    declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
    if declared.isdigit() and int(declared) > limit:
        return None
    data = request.read(limit + 1)
    return None if len(data) > limit else data


def too_large(engine: Engine) -> Reply:
    return Reply.error(413, f"body larger than {engine.config.max_body_bytes} bytes")


def finish(engine: Engine, ex: Exchange, response: HttpResponseBase) -> HttpResponseBase:
    """Cookie control and Vary on the app's response, then collection."""
    try:
        apply_headers(engine, ex, response)
    except Exception:
        log.exception("consentkit: response processing failed")
    engine.finish(ex, response.status_code, response.get("Content-Type", ""))
    return response


def apply_headers(engine: Engine, ex: Exchange, response: HttpResponseBase) -> None:
    # Django keeps Set-Cookie apart from the other headers: present both to the core as one list,
    # then write the result back the same way.
    cookies = response.cookies
    headers = list(response.items())
    given: dict[str, Morsel[str]] = {}
    for morsel in cookies.values():
        line = morsel.OutputString()
        given[line] = morsel
        headers.append(("set-cookie", line))
    out = engine.response_headers(ex, headers)
    keep: dict[str, Morsel[str]] = {}
    plain: dict[str, str] = {}
    for name, value in out:
        if name.lower() == "set-cookie":
            m = given.get(value) or to_morsel(value)
            if m is not None:
                keep[m.key] = m
        else:
            plain[name.lower()] = value
    for key in [k for k in cookies if cookies[k] is not keep.get(k)]:
        del cookies[key]
    for key, m in keep.items():
        if key not in cookies:
            dict.__setitem__(cookies, key, m)
    for name in [n for n in response.headers if n.lower() not in plain]:
        del response.headers[name]
    for name, value in plain.items():
        if response.get(name) != value:
            response[name] = value


def to_morsel(line: str) -> Morsel[str] | None:
    """A Set-Cookie value as written by the core → a Morsel Django can send (None if unusable)."""
    first, *attrs = line.split(";")
    name, _, value = first.partition("=")
    m: Morsel[str] = Morsel()
    try:
        m.set(name.strip(), value.strip(), value.strip())
        for attr in attrs:
            key, _, val = attr.strip().partition("=")
            key = key.lower()
            if key in _BOOL_ATTRS:
                m[key] = True
            elif key == "max-age" and val.isdigit():
                m[key] = int(val)
            elif key:
                m[key] = val
    except CookieError:
        log.warning("consentkit: cannot express Set-Cookie for %r in Django; left out", name[:64])
        return None
    return m


def to_response(reply: Reply, *, head: bool) -> HttpResponse:
    response = HttpResponse(b"" if head else reply.body, status=reply.status)
    del response["Content-Type"]
    for name, value in reply.headers:
        if name.lower() == "set-cookie":
            m = to_morsel(value)
            if m is not None:
                dict.__setitem__(response.cookies, m.key, m)
        else:
            response[name] = value
    response["Content-Length"] = str(len(reply.body))
    return response

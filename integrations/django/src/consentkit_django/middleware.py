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
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

from consentkit import endpoints, guard
from consentkit.cookielife import count_lifetime
from consentkit.engine import Engine
from consentkit.exchange import Exchange
from consentkit.http import Reply, RequestView, content_length, headers_from_environ, is_html
from consentkit.regioncache import private_cache_control
from consentkit_django.chat import insert_chat
from consentkit_django.conf import get_engine
from consentkit_django.cookies import set_cookies

log = logging.getLogger("consentkit")
GetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


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
        if ex.own:
            body = read_body(request, engine.config.max_body_bytes) if endpoints.needs_body(engine, ex.request) else b""
            return to_response(engine, ex, endpoints.serve(engine, ex, body))
        response = self.get_response(request)
        return finish(engine, ex, request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        engine = get_engine()
        ex = begin(engine, request)
        if ex.own:
            if endpoints.needs_body(engine, ex.request):
                body = read_body(request, engine.config.max_body_bytes)
                # Ledger writes are synchronous and durable: keep them off the event loop.
                reply = await sync_to_async(endpoints.serve, thread_sensitive=False)(engine, ex, body)
            else:
                reply = endpoints.serve(engine, ex, b"")
            return to_response(engine, ex, reply)
        response = await self.get_response(request)
        return finish(engine, ex, request, response)


# -- request ---------------------------------------------------------------------------------------------
def begin(engine: Engine, request: HttpRequest) -> Exchange:
    meta = request.META
    scheme = request.scheme or "http"  # honours SECURE_PROXY_SSL_HEADER, as the rest of the site does
    view = RequestView(
        request.method or "GET",
        request.path_info,
        meta.get("QUERY_STRING", ""),
        # PEP 3333 / Django's ASGIRequest: HTTP_* keys carry the request headers (latin-1 str values).
        headers_from_environ(meta, scheme, engine.environ_keys),
        meta.get("REMOTE_ADDR") or None,
        scheme,
    )
    ex = engine.begin(view)
    request.consent = ex.state
    return ex


def read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The request body, or None once it is known to exceed `limit` (checked before reading)."""
    declared = content_length(str(request.META.get("CONTENT_LENGTH") or ""))
    if declared is not None and declared > limit:
        return None
    data = request.read(limit + 1)
    return None if len(data) > limit else bytes(data)


# -- response --------------------------------------------------------------------------------------------
def finish(engine: Engine, ex: Exchange, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Cookie control and Vary on the app's response, the chat if the core plans one, then collection."""
    content_type = response.headers.get("content-type") or ""
    apply_cookies(engine, ex, response, is_html(content_type))
    if engine.chat.active:
        with guard.contained(engine.writer, "chat"):
            insert_chat(engine, ex, request, response)
    engine.finish(ex, response.status_code, content_type)
    return response


def apply_cookies(engine: Engine, ex: Exchange, response: HttpResponseBase, html: bool) -> None:
    """The core's cookie plan, through Django's own cookie and Vary API."""
    cookies = response.cookies
    plan = engine.cookie_plan(ex, list(cookies), html=html)
    for name in plan.drop:
        del cookies[name]
    for name, morsel in cookies.items():  # for the cookie declaration: how long they live
        count_lifetime(engine.writer, name, morsel.OutputString())
    set_cookies(engine, ex, response, plan.add)
    if plan.vary:
        if response.has_header("Vary"):
            patch_vary_headers(response, engine.vary.split(", "))
        else:  # the usual case, a quarter of the helper's cost
            response.headers["Vary"] = engine.vary
        if ex.located == "geoip":  # nothing in the request says where the visitor is
            response.headers["Cache-Control"] = private_cache_control(response.headers.get("Cache-Control"))


def to_response(engine: Engine, ex: Exchange, reply: Reply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status)
    del response["Content-Type"]
    for name, value in reply.headers:
        response[name] = value
    set_cookies(engine, ex, response, reply.cookies)
    return response

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

from consentkit import endpoints, guard
from consentkit.engine import Engine
from consentkit.exchange import Exchange
from consentkit.http import Reply, RequestView, content_length, headers_from_environ
from consentkit_django.conf import get_engine

try:
    from django.middleware.csp import get_nonce as _django_nonce  # Django 6.0+
except ImportError:  # Django 5.2
    _django_nonce = None

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
            body = b""
            if endpoints.needs_body(engine, ex.request):
                got = read_body(request, engine.config.max_body_bytes)
                if got is None:
                    return to_response(too_large(engine), head=False)
                body = got
            return to_response(endpoints.handle(engine, ex, body), head=ex.request.method == "HEAD")
        response = self.get_response(request)
        return finish(engine, ex, request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        engine = get_engine()
        ex = begin(engine, request)
        if ex.own:
            head = ex.request.method == "HEAD"
            if endpoints.needs_body(engine, ex.request):
                body = read_body(request, engine.config.max_body_bytes)
                if body is None:
                    return to_response(too_large(engine), head=False)
                # Ledger writes are synchronous and durable: keep them off the event loop.
                reply = await sync_to_async(endpoints.handle, thread_sensitive=False)(engine, ex, body)
                return to_response(reply, head=head)
            return to_response(endpoints.handle(engine, ex, b""), head=head)
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
        headers_from_environ(meta, scheme),
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


def too_large(engine: Engine) -> Reply:
    return endpoints.too_large(engine)


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


# -- response --------------------------------------------------------------------------------------------
def finish(engine: Engine, ex: Exchange, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Cookie control and Vary on the app's response, the chat if the core plans one, then collection."""
    headers = response.headers
    current = {name: headers.get(name) for name in _SEEN}
    try:
        apply_headers(engine, ex, response, current)
    except Exception:  # noqa: BLE001 - logged and counted by guard.failed
        fail_closed(engine, response)
    if engine.chat.active:
        try:
            insert_chat(engine, ex, request, response)
        except Exception:
            log.exception("consentkit: response processing failed")
    engine.finish(ex, response.status_code, current["content-type"] or "")
    return response


_SEEN = ("content-type", "vary")
"""The only headers besides Set-Cookie that the core reads or rewrites."""


def apply_headers(
    engine: Engine, ex: Exchange, response: HttpResponseBase, current: dict[str, str | None] | None = None
) -> None:
    """The core's cookie control and Vary, on Django's response.

    Django keeps Set-Cookie (``response.cookies``) apart from the other headers, one value per name.
    The core gets the headers it acts on (`current`: their values, looked up once) plus one
    Set-Cookie line per cookie; its answer is written back the same way.
    """
    headers = response.headers
    if current is None:
        current = {name: headers.get(name) for name in _SEEN}
    given = [(name, value) for name, value in current.items() if value is not None]
    cookies = response.cookies
    originals: dict[str, Morsel[str]] = {}
    for morsel in cookies.values():
        line = morsel.OutputString()
        originals[line] = morsel
        given.append(("set-cookie", line))
    out = guard.response_headers(engine, ex, given)
    keep: dict[str, Morsel[str]] = {}
    written: set[str] = set()
    for name, value in out:
        lname = name.lower()
        if lname == "set-cookie":
            m = originals.get(value) or to_morsel(value)
            if m is not None:
                keep[m.key] = m
        else:
            written.add(lname)
            if current.get(lname) != value:
                headers[name] = value
    for name, had in current.items():
        if had is not None and name not in written:
            del headers[name]
    if originals:
        for key in [k for k, m in cookies.items() if keep.get(k) is not m]:
            del cookies[key]
    for key, m in keep.items():
        if key not in cookies:
            dict.__setitem__(cookies, key, m)  # a ready Morsel, as SimpleCookie.__setitem__ allows


def fail_closed(engine: Engine, response: HttpResponseBase) -> None:
    """After a failure while applying cookie control: only the cookies `guard.failed` lets pass stay."""
    cookies = response.cookies
    lines = {m.OutputString(): key for key, m in cookies.items()}
    passing = {v for _, v in guard.failed(engine, [("set-cookie", line) for line in lines])}
    for line, key in lines.items():
        if line not in passing:
            del cookies[key]


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


# -- Set-Cookie lines of the core as Django Morsels ----------------------------------------------------
_FLAG_ATTRS = frozenset({"secure", "httponly"})
_VALUE_ATTRS = frozenset({"path", "domain", "samesite", "expires", "max-age"})


class CoreCookie(Morsel[str]):
    """A Morsel for a Set-Cookie line the core wrote: its attributes are all there to read, and it is
    sent exactly as written (no re-rendering per request) unless it is changed afterwards."""

    _line: str | None = None

    def OutputString(self, attrs: Any = None) -> str:
        line = self._line
        return line if line is not None and attrs is None else super().OutputString(attrs)

    def __setitem__(self, key: str, value: Any) -> None:
        self._line = None
        super().__setitem__(key, value)

    def set(self, key: str, val: str, coded_val: str) -> None:
        self._line = None
        super().set(key, val, coded_val)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._line = None
        super().update(*args, **kwargs)

    def setdefault(self, key: str, val: Any = None) -> Any:
        self._line = None
        return super().setdefault(key, val)


_BLANK: dict[str, str] = dict(Morsel())  # every attribute a Morsel knows, unset
_parsed: dict[str, CoreCookie] = {}
_PARSED_MAX = 2048


def to_morsel(line: str) -> Morsel[str] | None:
    """A Set-Cookie value as written by the core → a new Morsel Django can send (None if unusable).

    A visitor's session cookie line is the same on each of their requests: parsed ones are kept
    (bounded) and copied, which is several times cheaper than parsing.
    """
    proto = _parsed.get(line)
    if proto is None:
        proto = _parse_morsel(line)
        if proto is None:
            return None
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        _parsed[line] = proto
    m = CoreCookie.__new__(CoreCookie)
    dict.update(m, proto)
    m.__dict__.update(proto.__dict__)
    return m


def _parse_morsel(line: str) -> CoreCookie | None:
    first, *parts = line.split(";")
    name, _, value = first.partition("=")
    name, value = name.strip(), value.strip()
    attrs: dict[str, Any] = {}
    known = True
    for part in parts:
        key, _, val = part.strip().partition("=")
        key = key.lower()
        if key in _FLAG_ATTRS:
            attrs[key] = True
        elif key in _VALUE_ATTRS:
            attrs[key] = int(val) if key == "max-age" and val.isdigit() else val
        elif key:
            known = False  # an attribute this Python's Morsel may not know: let Morsel check it
            break
    m = CoreCookie.__new__(CoreCookie)  # the fast way to Morsel(): same state, no per-key checks
    dict.update(m, _BLANK)
    try:
        m.set(name, value, value)
        if known:
            dict.update(m, attrs)  # only names from _VALUE_ATTRS / _FLAG_ATTRS, all known to Morsel
        else:
            for part in parts:
                key, _, val = part.strip().partition("=")
                m[key] = True if key.lower() in _FLAG_ATTRS else val
    except CookieError:
        log.warning("consentkit: cannot express Set-Cookie for %r in Django; left out", name[:64])
        return None
    m._line = line.strip() if known else None
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

"""The review console as an ASGI application on Starlette: `consentkit.console.app(config)`.

The shell does everything a page must not have to: it answers only the allowed networks, knows who is
logged in (its own signed cookie, or the site's `authenticate` hook), checks each page's role on
GET and its `post_role` on POST, checks the CSRF token of every POST, parses the query and the form
within bounds, and puts security headers on every response. Pages only read the store and render.

Mounted under a path (`Mount("/console", app=consentkit.console.app(config))`) it takes that path
from the ASGI `root_path`, so its links and its cookie stay below it.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from consentkit.banner.texts import pick_language
from consentkit.collect.ip import client_ip, parse_ip
from consentkit.config import ConsentConfig
from consentkit.console import access_page
from consentkit.console.access_log import StoreAccessLog, append
from consentkit.console.csrf_tokens import FIELD, CsrfTokens
from consentkit.console.headers import static_file
from consentkit.console.inputs import MAX_FORM, BadInput, parse_form, parse_query
from consentkit.console.lockout import LoginThrottle
from consentkit.console.login_page import login_form
from consentkit.console.page import ROLES, Page, PageRequest, PageResult, User, allows
from consentkit.console.replies import download, refusal, safe_below, secure
from consentkit.console.sessions import COOKIE_NAME, Login, LoginCodec, fresh
from consentkit.console.users import account, hash_fingerprint, login
from consentkit.storage import Store, StoreError, open_store

log = logging.getLogger("consentkit.console")

Authenticate = Callable[[Request], "User | Awaitable[User | None] | None"]
"""A site's own login: given the request, the `User` it has authenticated (role included), or None."""


class Layout(Protocol):
    def __call__(self, title: str, body: str, *, req: PageRequest | None, user: User | None, lang: str, base: str,
                 notices: tuple[str, ...] = ()) -> str: ...



@dataclass(slots=True)
class Visit:
    """One request as the shell sees it once the address and the login are settled (a login or a
    logout changes `login` and `user`, and the cookie sent back follows)."""

    request: Request
    base: str
    route: str
    address: str
    login: Login
    user: User | None
    lang: str
    now: float
    had_cookie: bool
    """The request carried a valid login cookie (logged in or not)."""


class ConsoleApp:
    def __init__(self, config: ConsentConfig, *, pages: Sequence[Page] | None = None, layout: Layout | None = None,
                 authenticate: Authenticate | None = None, store: Store | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        console = config.console
        self._pages = tuple(pages) if pages is not None else None
        """Given pages are served as given; the console's own get the access log's page too."""
        self._layout = layout
        self.authenticate = authenticate
        self.clock = clock
        self.codec = LoginCodec(config.signing_keys, config.site_id or "", console.session_idle_minutes * 60,
                                console.session_max_hours * 3600)
        self.csrf = CsrfTokens(config.signing_keys, config.site_id or "")
        self.throttle = LoginThrottle(console.login_attempts, console.lockout_minutes * 60)
        self.networks = console.allow_networks
        self.header = config.proxy_header if config.trusted_proxies else None
        self._store, self._own_store = store, store is None
        self._store_lock = threading.Lock()

    # -- plumbing -----------------------------------------------------------------------------------
    @property
    def pages(self) -> tuple[Page, ...]:
        """The pages served: those given, else the console's own (imported on first use)."""
        if self._pages is None:
            own = tuple(importlib.import_module("consentkit.console.pages").PAGES)
            self._pages = own if any(p.path == access_page.PATH for p in own) else (*own, access_page.PAGE)
        return self._pages

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            self._layout = importlib.import_module("consentkit.console.layout").document
        return self._layout

    def store(self) -> Store:
        with self._store_lock:
            if self._store is None:
                self._store = open_store(self.config.storage_url)  # migrated: the access log is written
            return self._store

    def close(self) -> None:
        with self._store_lock:
            if self._store is not None and self._own_store:
                self._store.close()
                self._store = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        try:
            response = await self._respond(request)
        except BadInput as exc:
            response = refusal(request, exc.status, str(exc))
        except StoreError as exc:
            log.error("consentkit console: storage: %s", exc)
            response = refusal(request, 503, "the console's storage is not available; see the server's log")
        await secure(response)(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await run_in_threadpool(self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- one request --------------------------------------------------------------------------------
    async def _respond(self, request: Request) -> Response:
        now = self.clock()
        address = self._address(request)
        if address is None:
            return refusal(request, 403, "the console does not answer this address (console.allow_networks)")
        base = str(request.scope.get("root_path", "")).rstrip("/")
        path = request.scope["path"]
        route = path[len(base):] if base and path.startswith(base) else path
        if request.method not in ("GET", "HEAD", "POST"):
            return refusal(request, 405, f"method {request.method} is not used by the console")
        if route.startswith("/static/") and request.method != "POST":
            return self._static(request, route.removeprefix("/static/"))
        query = parse_query(request.scope.get("query_string", b""))
        visit = await self._visit(request, base, route, address, now, query)
        response = await self._route(visit, query)
        # Rolling: the idle limit counts from this request. A request without a valid cookie gets none
        # (but at the login form): a form posted, or a link followed, from another site arrives without
        # the SameSite=Strict cookie, and its answer must not replace the login the browser holds.
        if visit.had_cookie or visit.user is not None or route in ("/login", "/logout"):
            self._set_cookie(response, visit)
        return response

    def _address(self, request: Request) -> str | None:
        """The client's address as the middleware believes it, if the console answers it."""
        peer = request.client.host if request.client else None
        headers: Mapping[str, str] = {}
        if self.header is not None:
            headers = {self.header: ", ".join(request.headers.getlist(self.header))}
        address = client_ip(peer, headers, self.config.trusted_proxies, self.header)
        parsed = parse_ip(address) if address is not None else None
        if parsed is None or not any(parsed in net for net in self.networks):
            return None
        return address

    async def _visit(self, request: Request, base: str, route: str, address: str, now: float,
                     query: Mapping[str, str]) -> Visit:
        cookie = self.codec.decode(request.cookies.get(COOKIE_NAME, ""), now)
        user: User | None = None
        if self.authenticate is not None:
            found = self.authenticate(request)
            user = await found if inspect.isawaitable(found) else found
            if user is not None and user.role not in ROLES:
                log.error("consentkit console: authenticate returned the unknown role %r; no access", user.role)
                user = None
            if user is not None:
                user = User(user.name, user.role, address)
        elif cookie is not None and cookie.user:
            acct = account(self.config.console, cookie.user)
            if acct is not None and cookie.fingerprint == hash_fingerprint(self.config.console, cookie.user):
                user = User(acct.name, acct.role, address)
            else:
                cookie = None  # removed, or the password changed: logged out
        session = cookie.touched(now) if cookie is not None else fresh(now)
        lang = pick_language(self.config.banner, query.get("lang"), request.headers.get("accept-language", ""))
        return Visit(request, base, route, address, session, user, lang, now, cookie is not None)

    async def _route(self, visit: Visit, query: Mapping[str, str]) -> Response:
        request, route = visit.request, visit.route
        form: dict[str, str] = {}
        if request.method == "POST":
            form = parse_form(request.headers.get("content-type", ""), await _body(request))
            if not self.csrf.valid(visit.login.sid, form.get(FIELD, "")):
                await self._log(visit, "csrf_refused", detail={"path": route})
                return self._refuse(visit, 403, "the form's CSRF token is missing or does not match this browser's "
                                                "login; reload the page and send the form again")
        if route in ("", "/"):
            if visit.user is None:
                return self._redirect(visit, "/login")
            return self._redirect(visit, self._home(visit.user))
        if route == "/login" and self.authenticate is None:
            return await self._login(visit, query, form)
        if route == "/logout" and request.method == "POST":
            if visit.user is not None:
                await self._log(visit, "logout")
            response = self._redirect(visit, "/login")
            if self.authenticate is None:
                visit.login = fresh(visit.now)
            return response
        page = next((p for p in self.pages if p.path == route), None)
        if page is None:
            return self._refuse(visit, 404, f"no console page at {route[:200]!r}")
        if visit.user is None:
            if request.method == "GET" and self.authenticate is None:
                return self._redirect(visit, "/login?next=" + page.path)
            return self._refuse(visit, 403, "log in first")
        need = page.role if request.method != "POST" else page.post_role
        if need is None:
            return self._refuse(visit, 405, f"{page.path} takes no form")
        if not allows(visit.user.role, need):
            await self._log(visit, "role_refused", detail={"path": page.path, "method": request.method})
            doing = "act on" if request.method == "POST" else "open"
            return self._refuse(visit, 403, f"the role {visit.user.role} may not {doing} this page; it needs {need}")
        return await self._page(visit, page, query, form)

    async def _page(self, visit: Visit, page: Page, query: Mapping[str, str], form: Mapping[str, str]) -> Response:
        assert visit.user is not None
        method: Literal["GET", "POST"] = "POST" if visit.request.method == "POST" else "GET"
        store = await run_in_threadpool(self.store)
        req = PageRequest(self.config, store, visit.user, method, query, form, visit.lang, visit.base, FIELD,
                          self.csrf.token(visit.login.sid), StoreAccessLog(store, visit.now), visit.now)
        try:
            result: PageResult = await run_in_threadpool(page.render, req)
        except StoreError:
            raise
        except Exception:  # a page's failure is its own 500, never the host's
            log.exception("consentkit console: page %s failed", page.path)
            return self._refuse(visit, 500, "this page failed; the server's log says why")
        if result.download is not None:
            return download(result.download)
        if result.redirect:
            target = safe_below(visit.base, result.redirect)
            if target is None:
                log.error("consentkit console: page %s redirected outside the console", page.path)
                return self._refuse(visit, 500, "this page failed; the server's log says why")
            return RedirectResponse(target, 303)
        status = result.status if 200 <= result.status <= 599 else 500
        document = self.layout(result.title, result.body, req=req, user=visit.user, lang=visit.lang, base=visit.base,
                               notices=result.notices)
        return Response(document, status, media_type="text/html; charset=utf-8")

    # -- login --------------------------------------------------------------------------------------
    async def _login(self, visit: Visit, query: Mapping[str, str], form: Mapping[str, str]) -> Response:
        if visit.request.method != "POST":
            if visit.user is not None:
                return self._redirect(visit, self._home(visit.user))
            return self._login_page(visit, query.get("next", ""))
        name, password = form.get("name", "")[:64], form.get("password", "")
        next_path = form.get("next", "")
        wait = self.throttle.locked_for(name, visit.address, visit.now)
        if wait > 0:
            await self._log(visit, "login_locked", name=name)
            return self._login_page(visit, next_path, name, 429,
                                    f"Too many failed logins: try again in {int(wait // 60) + 1} minute(s).")
        found = await run_in_threadpool(login, self.config.console, name, password)
        if found is None:
            self.throttle.failed(name, visit.address, visit.now)
            await self._log(visit, "login_refused", name=name)
            return self._login_page(visit, next_path, name, 401, "Wrong user name or password.")
        self.throttle.succeeded(name)
        user = User(found.name, found.role, visit.address)
        visit.login = fresh(visit.now, found.name, hash_fingerprint(self.config.console, found.name))
        visit.user = user
        await self._log(visit, "login")
        known = {p.path for p in self.pages if allows(user.role, p.role)}
        return self._redirect(visit, next_path if next_path in known else self._home(user))

    def _login_page(self, visit: Visit, next_path: str, name: str = "", status: int = 200,
                    notice: str = "") -> Response:
        body = login_form(visit.base, FIELD, self.csrf.token(visit.login.sid), next_path[:200], name)
        page = self.layout("Log in", body, req=None, user=None, lang=visit.lang, base=visit.base,
                           notices=(notice,) if notice else ())
        return Response(page, status, media_type="text/html; charset=utf-8")

    def _home(self, user: User) -> str:
        first = next((p.path for p in self.pages if allows(user.role, p.role)), None)
        return first or "/login"

    # -- helpers ------------------------------------------------------------------------------------
    async def _log(self, visit: Visit, action: str, *, name: str | None = None,
                   detail: Mapping[str, str] | None = None) -> None:
        user = visit.user
        who, role = (user.name, user.role) if user is not None else (name or "", "")
        store = await run_in_threadpool(self.store)
        await run_in_threadpool(append, store, visit.now, who, role, visit.address, action, "", detail)

    def _refuse(self, visit: Visit, status: int, message: str) -> Response:
        def page(title: str, body: str) -> str:
            return self.layout(title, body, req=None, user=visit.user, lang=visit.lang, base=visit.base)

        return refusal(visit.request, status, message, page)

    def _redirect(self, visit: Visit, path: str) -> Response:
        return RedirectResponse(visit.base + path, 303)

    def _set_cookie(self, response: Response, visit: Visit) -> None:
        setting = self.config.console.secure_cookies
        secure_flag = visit.request.url.scheme == "https" if setting == "auto" else bool(setting)
        response.set_cookie(COOKIE_NAME, self.codec.encode(visit.login), path=(visit.base or "") + "/",
                            httponly=True, samesite="strict", secure=secure_flag)

    def _static(self, request: Request, name: str) -> Response:
        found = static_file(name)
        if found is None:
            return refusal(request, 404, "no such file")
        return Response(found[0], media_type=found[1])


async def _body(request: Request) -> bytes:
    """The request body, refused past MAX_FORM bytes whatever Content-Length says."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM:
        raise BadInput(f"the form is longer than {MAX_FORM} bytes", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise BadInput(f"the form is longer than {MAX_FORM} bytes", 413)
    return bytes(body)


def app(config: ConsentConfig, *, pages: Sequence[Page] | None = None, layout: Layout | None = None,
        authenticate: Authenticate | None = None, store: Store | None = None,
        clock: Callable[[], float] = time.time) -> ConsoleApp:
    """The console for `config`'s site. `authenticate`: the site's own login (docs/console.md);
    `store`: an open store to share (else one is opened on `config.storage_url`); `pages` and
    `layout` replace the console's own."""
    return ConsoleApp(config, pages=pages, layout=layout, authenticate=authenticate, store=store, clock=clock)


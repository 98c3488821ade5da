"""The review console inside the Django admin: the console's pages, behind Django's own login,
sessions and CSRF, for staff users with a consentkit permission.

    # urls.py, before the admin's own URLs
    path("admin/consentkit/", include("consentkit_django.admin_console")),

A staff user's role is the highest of their permissions (`models.CONSOLE_PERMISSIONS`; a superuser
is an officer). Each page checks it on GET and its `post_role` on POST, as the console's own shell
does; what a user sees about a subject goes into the same access log. `ConsoleViews(pages=…,
layout=…)` serves another page set (its `urls` for `include`).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from typing import Any, Literal

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.urls import URLPattern, re_path

from consentkit.banner.texts import pick_language
from consentkit.collect.ip import client_ip
from consentkit.console import access_page
from consentkit.console.access_log import StoreAccessLog
from consentkit.console.headers import SECURITY_HEADERS, static_file
from consentkit.console.inputs import BadInput, checked_fields, parse_query
from consentkit.console.page import Page, PageRequest, PageResult, Role, User, allows
from consentkit_django import conf
from consentkit_django.models import CONSOLE_PERMISSIONS

CSRF_FIELD = "csrfmiddlewaretoken"
SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def role_of(user: Any) -> Role | None:
    """The console role of a Django user: the highest consentkit permission, none for non-staff."""
    if not (user.is_active and user.is_staff):
        return None
    for codename, role in CONSOLE_PERMISSIONS:
        if user.has_perm(f"consentkit.{codename}"):
            return role  # type: ignore[return-value]
    return None


class ConsoleViews:
    def __init__(self, pages: Sequence[Page] | None = None, layout: Any = None) -> None:
        self._pages = tuple(pages) if pages is not None else None
        self._layout = layout

    @property
    def pages(self) -> tuple[Page, ...]:
        if self._pages is None:  # the console's own, and the access log's, read on first use
            own = tuple(importlib.import_module("consentkit.console.pages").PAGES)
            self._pages = own if any(p.path == access_page.PATH for p in own) else (*own, access_page.PAGE)
        return self._pages

    @property
    def layout(self) -> Any:
        if self._layout is None:
            self._layout = importlib.import_module("consentkit.console.layout").document
        return self._layout

    @property
    def urls(self) -> list[URLPattern]:
        return [re_path(r"^(?P<route>[A-Za-z0-9_./-]{0,200})$", admin.site.admin_view(self.view),
                        name="consentkit_console")]

    def view(self, request: HttpRequest, route: str) -> HttpResponse:
        response = self._respond(request, route)
        for name, value in SECURITY_HEADERS.items():
            response[name] = value
        return response

    def _respond(self, request: HttpRequest, route: str) -> HttpResponse:
        base = request.path[: len(request.path) - len(route)].rstrip("/")
        if route.startswith("static/"):
            found = static_file(route.removeprefix("static/"))
            return HttpResponse(found[0], content_type=found[1]) if found else _refuse(404, "no such file")
        route = "/" + route
        role = role_of(request.user)
        if role is None:
            return _refuse(403, "the consentkit console needs a consentkit permission (view, review or officer)")
        if route == "/":
            first = next((p.path for p in self.pages if allows(role, p.role)), None)
            return _see_other(base + first) if first else _refuse(403, "no console page for this role")
        page = next((p for p in self.pages if p.path == route), None)
        if page is None:
            return _refuse(404, f"no console page at {route!r}")
        method: Literal["GET", "POST"] = "POST" if request.method == "POST" else "GET"
        need = page.post_role if method == "POST" else page.role
        if need is None:
            return _refuse(405, f"{page.path} takes no form")
        if not allows(role, need):
            return _refuse(403, f"the role {role} may not open this page; it needs {need}")
        try:
            query = parse_query(request.META.get("QUERY_STRING", "").encode("latin-1", "replace"))
            # Django parsed the body already (its CSRF check reads it), within DATA_UPLOAD_MAX_* limits
            form = checked_fields((k, v) for k, vs in request.POST.lists() for v in vs) if method == "POST" else {}
        except BadInput as exc:
            return _refuse(exc.status, str(exc))
        return self._render(request, page, method, base, role, query, form)

    def _render(self, request: HttpRequest, page: Page, method: Literal["GET", "POST"], base: str, role: Role,
                query: dict[str, str], form: dict[str, str]) -> HttpResponse:
        config = conf.get_config()
        store = conf.get_engine().store
        headers = {h: request.headers.get(h, "") for h in config.proxy_headers}
        address = client_ip(request.META.get("REMOTE_ADDR"), headers, config.trusted_proxies,
                            config.proxy_header if config.trusted_proxies else None) or ""
        user = User(request.user.get_username(), role, address)
        lang = pick_language(config.banner, query.get("lang"), request.headers.get("accept-language", ""))
        now = time.time()
        req = PageRequest(config, store, user, method, query, form, lang, base, CSRF_FIELD, get_token(request),
                          StoreAccessLog(store, now), now)
        result: PageResult = page.render(req)
        if result.download is not None:
            file = result.download
            name = file.filename if file.filename and set(file.filename) <= SAFE_NAME else "download"
            response = StreamingHttpResponse(iter(file.chunks), content_type=file.content_type)
            response["Content-Disposition"] = f'attachment; filename="{name[:100]}"'
            return response
        if result.redirect:
            if not result.redirect.startswith("/") or result.redirect.startswith("//"):
                return _refuse(500, "this page failed; the server's log says why")
            return _see_other(base + result.redirect)
        document = self.layout(result.title, result.body, req=req, user=user, lang=lang, base=base,
                               notices=result.notices)
        return HttpResponse(document, status=result.status)


def _refuse(status: int, message: str) -> HttpResponse:
    return JsonResponse({"error": message}, status=status)


def _see_other(location: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = location
    return response


urlpatterns = ConsoleViews().urls

"""A small page set and layout for the shell's tests, written against the page contract
(`consentkit.console.page`) as the console's own pages are: they read the request, record what they
show about a subject, and return results of every kind (page, redirect, download)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html import escape
from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from consentkit import ConsentConfig
from consentkit.console.page import Download, Page, PageRequest, PageResult, User
from consentkit.console.shell import ConsoleApp, app
from consentkit.console.users import hash_password
from consentkit.storage import Store

SECRET = "k" * 40
PASSWORDS = {"vera": "viewer-pass-1", "rex": "reviewer-pass-2", "olga": "officer-pass-3"}
ROLES = {"vera": "viewer", "rex": "reviewer", "olga": "officer"}
HASHES = {name: hash_password(pw, log2n=10) for name, pw in PASSWORDS.items()}  # cheap for tests


def overview(req: PageRequest) -> PageResult:
    return PageResult("Overview", f"<p id=who>{escape(req.user.name)} as {req.user.role}</p>")


def collection_log(req: PageRequest) -> PageResult:
    visitor = req.query.get("visitor", "")
    if visitor:
        req.access.record(req.user, "log.filter", subject=visitor, detail={"by": "visitor"})
    return PageResult("Collection log", f"<p>events of {escape(visitor) or 'everyone'}</p>")


def subjects(req: PageRequest) -> PageResult:
    if req.method == "POST":
        subject = req.form.get("subject", "")
        if req.form.get("confirm") != subject:
            return PageResult("Subjects", "<p>type the id to confirm</p>", status=400)
        req.access.record(req.user, "subject.erase", subject=subject, detail={"events": "3"})
        return PageResult("Subjects", redirect=f"/subjects?subject={subject}&erased=1")
    subject = req.query.get("subject", "")
    if req.query.get("download") and subject:
        req.access.record(req.user, "subject.export", subject=subject)
        return PageResult("Subjects", download=Download(f"subject-{subject}.json", "application/json",
                                                        iter([b'{"subject": ', f'"{subject}"'.encode(), b"}"])))
    if subject:
        req.access.record(req.user, "subject.view", subject=subject)
    form = (f'<form method=post action="{req.base}/subjects"><input type=hidden name="{req.csrf_field}" '
            f'value="{req.csrf_token}"><input name=subject><input name=confirm><button>Erase</button></form>')
    return PageResult("Subjects", f"<p>subject {escape(subject)}</p>{form}")


def retention(req: PageRequest) -> PageResult:
    if req.method == "POST":
        return PageResult("Retention", redirect="/retention?ran=1")
    return PageResult("Retention", "<p>due: nothing</p>")


def escaping(req: PageRequest) -> PageResult:
    return PageResult("Bad", redirect="//evil.example/")


def failing(req: PageRequest) -> PageResult:
    raise RuntimeError("a bug in a page")


PAGES = (
    Page("/overview", "overview", "viewer", overview),
    Page("/log", "log", "reviewer", collection_log),
    Page("/subjects", "subjects", "officer", subjects, post_role="officer"),
    Page("/retention", "retention", "reviewer", retention, post_role="officer"),
)
BROKEN = (Page("/escape", "escape", "viewer", escaping), Page("/fail", "fail", "viewer", failing))


def layout(title: str, body: str, *, req: PageRequest | None, user: User | None, lang: str, base: str,
           notices: tuple[str, ...] = ()) -> str:
    """What the console's chrome must do at least: the stylesheet, the notices, a logout form."""
    logout = ""
    if req is not None:
        logout = (f'<form method=post action="{base}/logout"><input type=hidden name="{req.csrf_field}" '
                  f'value="{req.csrf_token}"><button>Log out</button></form>')
    notes = "".join(f"<p class=notice>{escape(n)}</p>" for n in notices)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset=utf-8><title>{escape(title)}</title>'
            f'<link rel=stylesheet href="{base}/static/console.css"></head><body><h1>{escape(title)}</h1>'
            f"{notes}{body}{logout}</body></html>")


def console_config(storage_url: str, **console: Any) -> ConsentConfig:
    users = {name: {"role": ROLES[name], "password_hash": HASHES[name]} for name in PASSWORDS}
    return ConsentConfig(secret_keys=[SECRET], storage_url=storage_url, console={"users": users, **console})


class Clock:
    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def console_app(config: ConsentConfig, store: Store | None = None, *, pages: tuple[Page, ...] = PAGES,
                clock: Callable[[], float] | None = None, **options: Any) -> ConsoleApp:
    return app(config, pages=pages, layout=layout, store=store, clock=clock or Clock(), **options)


def client(application: Any, address: str = "127.0.0.1", base_url: str = "http://testserver") -> TestClient:
    return TestClient(application, client=(address, 50000), base_url=base_url, follow_redirects=False)


def csrf_of(response: httpx.Response) -> str:
    text = response.text
    marker = 'name="csrf" value="'
    start = text.index(marker) + len(marker)
    return text[start:text.index('"', start)]


def log_in(c: TestClient, name: str, password: str | None = None, base: str = "") -> httpx.Response:
    form = c.get(f"{base}/login")
    return c.post(f"{base}/login", data={"csrf": csrf_of(form), "name": name,
                                         "password": PASSWORDS[name] if password is None else password})


def rows(store: Store) -> Iterator[tuple[Any, ...]]:
    yield from store.query("SELECT user_name, role, address, action, subject, detail FROM ck_access_log ORDER BY seq")

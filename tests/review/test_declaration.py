"""The cookie declaration: lifetimes seen in Set-Cookie headers, the declaration's contents, its
formats and their escaping, on both engines."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from consentkit import ConsentConfig, ConsentMiddleware, WSGIConsentMiddleware, cookie_declaration_html
from consentkit.cli import main
from consentkit.cookielife import MAX_LIFETIME, SESSION, lifetime, parse_key
from consentkit.engine import Engine
from consentkit.review import stats
from consentkit.review.declaration import declaration, observed_lifetimes
from consentkit.review.declaration_render import declaration_html, declaration_markdown, declaration_page
from consentkit.storage import Store, open_store

KEY = "k" * 40
NOW = 1_800_000_000.0
TODAY = time.strftime("%Y-%m-%d", time.gmtime())


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


# -- lifetimes from Set-Cookie ----------------------------------------------------------------------
@pytest.mark.parametrize(("header", "expected"), [
    ("a=1; Path=/", SESSION),
    ("a=1; Max-Age=3600; Path=/", 3600),
    ("a=1; max-age=0", None),
    ("a=1; Max-Age=-5", None),
    ("a=1; Max-Age=10; Expires=" + http_date(NOW + 10 * 86400), 10),  # Max-Age wins
    ("a=1; Expires=" + http_date(NOW + 365 * 86400 - 2), 365 * 86400),  # rounded to the day
    ("a=1; Expires=" + http_date(NOW + 1800 + 7), 1800),  # to the minute below a day
    ("a=1; Expires=" + http_date(NOW - 60), None),  # a deletion
    ("a=1; Expires=someday", SESSION),  # ignored
    ("a=1; Max-Age=ten", SESSION),
    ("a=1; Max-Age=99999999999999", MAX_LIFETIME),
])
def test_lifetime_of_a_set_cookie(header: str, expected: int | str | None) -> None:
    assert lifetime(header, NOW) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_set_cookie_value_gives_a_lifetime_a_session_or_a_deletion(header: str) -> None:
    got = lifetime(header, NOW)
    assert got is None or got == SESSION or (isinstance(got, int) and 0 < got <= MAX_LIFETIME)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda n: "|" not in n), st.integers(1, MAX_LIFETIME))
def test_a_counter_key_reads_back(name: str, seconds: int) -> None:
    assert parse_key(f"{name}|{seconds}") == (name, seconds)
    assert parse_key(f"{name}|session") == (name, None)


# -- what the engine sees pass ----------------------------------------------------------------------
def cookies_from(query: str) -> list[tuple[str, str]]:
    """`?c=name:attrs,...` → Set-Cookie headers."""
    out = []
    for spec in query.split(",") if query else []:
        name, _, attrs = spec.partition(":")
        out.append(("set-cookie", f"{name}=1; Path=/{'; ' + attrs if attrs else ''}"))
    return out


def asgi_app() -> Starlette:
    async def page(request: Request) -> Response:
        resp = HTMLResponse("<html><body>hi</body></html>")
        for k, v in cookies_from(request.query_params.get("c", "")):
            resp.headers.append(k, v)
        return resp

    return Starlette(routes=[Route("/", page)])


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    from urllib.parse import parse_qs

    query = parse_qs(environ.get("QUERY_STRING", "")).get("c", [""])[0]
    start_response("200 OK", [("Content-Type", "text/html"), *cookies_from(query)])
    return [b"<html><body>hi</body></html>"]


@pytest.fixture
def engine(any_store_url: str) -> Iterator[Engine]:
    cfg = ConsentConfig(secret_keys=[KEY], storage_url=any_store_url, default_granted=("analytics",))
    e = Engine(cfg)
    yield e
    e.close()


@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_lifetimes_of_cookies_let_through_are_counted_and_declared(engine: Engine, kind: str) -> None:
    if kind == "asgi":
        client: Any = TestClient(ConsentMiddleware(asgi_app(), engine=engine))
    else:
        transport = httpx.WSGITransport(app=WSGIConsentMiddleware(wsgi_app, engine=engine))
        client = httpx.Client(transport=transport, base_url="http://testserver")
    with client:
        client.get("/?c=_ga:Max-Age=63072000,_ga_X1:Max-Age=600,_tracker:Max-Age=60,_fbp:Max-Age=7776000")
        client.get("/?c=_ga:Max-Age=100,_ga_X2")
        client.get("/?c=_ga:Max-Age=0")  # a deletion counts for nothing
    engine.writer.flush()
    lifetimes = stats(engine.store).metric("cookie.lifetime")
    assert lifetimes is not None
    assert {k.key for k in lifetimes.keys} == {"_ga|63072000", "_ga|100", "_ga_X1|600", "_ga_X2|session",
                                              "_tracker|60"}  # _fbp (marketing, not granted) was removed
    assert observed_lifetimes(engine.store) == {"_ga": 63072000, "_ga_X1": 600, "_ga_X2": None, "_tracker": 60}
    decl = declaration(engine.config, engine.store)
    analytics = next(c for c in decl.categories if c.key == "analytics")
    by_name = {c.name: c for c in analytics.cookies}
    assert (by_name["_ga"].lifetime_s, by_name["_ga"].lifetime_source) == (63072000, "observed")
    assert by_name["_ga_*"].lifetime_s == 600 and by_name["_ga_*"].seen_as == ("_ga_X1", "_ga_X2")
    assert by_name["_gid"].lifetime_source == "not_seen"
    assert [u.name for u in decl.undeclared] == ["_tracker"]


# -- contents ---------------------------------------------------------------------------------------
def site_config(**overrides: Any) -> ConsentConfig:
    return ConsentConfig(secret_keys=[KEY], chat={"provider": "crisp",
                                                  "site_id": "12345678-1234-1234-1234-123456789012"}, **overrides)


def test_each_category_has_its_purpose_basis_retention_cookies_data_and_recipients() -> None:
    decl = declaration(site_config(collection={"fields": {"ip": "analytics", "utm": "marketing"}}))
    cats = {c.key: c for c in decl.categories}
    assert list(cats) == ["necessary", "preferences", "analytics", "marketing", "chat"]
    necessary, analytics, marketing, chat = cats["necessary"], cats["analytics"], cats["marketing"], cats["chat"]
    assert necessary.required and necessary.lawful_basis == "legitimate_interest"
    assert [c.name for c in necessary.cookies][:1] == ["ck_consent"]
    assert necessary.cookies[0].lifetime_s == 182 * 86400 and necessary.cookies[0].lifetime_source == "configured"
    assert [c.name for c in analytics.cookies][:2] == ["ck_vid", "ck_sid"]
    assert [(g.group, g.columns) for g in analytics.data] == [("ip", ("ip",))]
    assert marketing.data[0].columns[0] == "utm_source"
    assert marketing.retention_days == 90
    assert chat.recipients == ("Crisp",) and analytics.recipients == ()
    ide = next(c for c in marketing.cookies if c.name == "IDE")
    assert (ide.provider, ide.party) == ("Google (doubleclick.net)", "third")


def test_the_declaration_speaks_the_banners_languages() -> None:
    de = declaration(site_config(), lang="de")
    assert de.lang == "de" and "Rechtsgrundlage" in declaration_html(de)
    assert "Art. 6 Abs. 1 lit. a DSGVO" in declaration_markdown(de)
    ar = declaration(site_config(), lang="ar")
    assert ar.direction == "rtl" and 'dir="rtl"' in declaration_page(ar)
    assert declaration(site_config(), accept_language="fr-CH, de;q=0.5").lang == "fr"
    assert declaration(site_config(), lang="xx").lang == "en"
    translated = site_config(banner={"category_texts": {"de": {"analytics": {"title": "Statistik",
                                                                             "description": "Zählen"}}}})
    assert "<h3>Statistik</h3>" in cookie_declaration_html(translated, "de")


def test_every_language_has_every_text() -> None:
    from consentkit.banner.i18n import shipped_languages
    from consentkit.review.declaration_texts import TEXTS

    assert set(TEXTS) == set(shipped_languages())
    for lang, texts in TEXTS.items():
        assert set(texts) == set(TEXTS["en"]), lang
        assert all(texts[k].count("{n}") == 1 for k in ("days", "hours", "minutes")), lang


NASTY = st.text(alphabet=st.sampled_from('<>&"\'`|*_[]#\\ab/= '), min_size=1, max_size=30).filter(str.strip)
TAGS = {"html", "head", "meta", "title", "style", "body", "section", "h2", "h3", "dl", "dt", "dd", "table",
        "caption", "thead", "tbody", "tr", "th", "td"}


class Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NASTY.filter(lambda n: not set(n) & set("|*?[")), text=NASTY)  # a name, not a glob
def test_configured_and_seen_text_is_escaped(tmp_path: Path, name: str, text: str) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'esc.db'}")
    try:
        store.execute("DELETE FROM ck_counts")
        store.add_counts({(TODAY, "cookie.lifetime", f"{name}|60"): 1, (TODAY, "cookie.undeclared.reported", name): 1})
        cfg = ConsentConfig(secret_keys=[KEY], ids_category="necessary", collection={"fields": {}}, categories=[
            {"key": "necessary", "title": text, "required": True, "description": text, "cookies": [name]}])
        decl = declaration(cfg, store)
    finally:
        store.close()
    reader = Reader()
    reader.feed(declaration_page(decl))
    assert reader.tags <= TAGS  # nothing configured or seen became markup
    assert text in reader.text and name in reader.text  # and all of it reads as the text it was
    md = declaration_markdown(decl)
    assert "<" not in md
    for line in md.splitlines():
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) == 5, line  # four cells, however the names look


# -- the command ------------------------------------------------------------------------------------
@pytest.fixture
def site_db(any_store_url: str, tmp_path: Path) -> Iterator[Path]:
    store: Store = open_store(any_store_url)
    store.add_counts({(TODAY, "cookie.lifetime", "_gid|172800"): 3})
    store.close()
    cfg = tmp_path / "consentkit.toml"
    cfg.write_text(f'secret_keys = ["{KEY}"]\nstorage_url = "{any_store_url}"\n')
    yield cfg


def test_the_command_writes_html_markdown_and_json(site_db: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["declaration", "--config", str(site_db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    gid = next(c for cat in doc["categories"] for c in cat["cookies"] if c["name"] == "_gid")
    assert (gid["lifetime_s"], gid["lifetime_source"]) == (172800, "observed")
    assert main(["declaration", "--config", str(site_db), "--format", "markdown", "--lang", "sv"]) == 0
    assert capsys.readouterr().out.startswith("# Kakor och uppgifter vi samlar in")
    out = tmp_path / "decl.html"
    assert main(["declaration", "--config", str(site_db), "--output", str(out)]) == 0
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<td>_gid</td>" in page and "<td>2 days</td>" in page
    assert main(["declaration", "--config", str(site_db), "--fragment"]) == 0
    assert capsys.readouterr().out.startswith('<section class="ck-declaration"')


def test_configured_only_needs_no_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "consentkit.toml"
    cfg.write_text(f'secret_keys = ["{KEY}"]\nstorage_url = "sqlite:///{tmp_path / "missing.db"}"\n')
    assert main(["declaration", "--config", str(cfg), "--configured-only", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["categories"][0]["key"] == "necessary"
    assert not (tmp_path / "missing.db").exists()


def test_the_privacy_page_is_served_when_the_store_fails(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'ck.db'}")
    store.execute("DROP TABLE ck_counts")  # every read of the counters fails now
    try:
        html = cookie_declaration_html(site_config(), "de", store=store)
    finally:
        store.close()
    assert "<td>ck_consent</td>" in html and "<td>noch nicht gesehen</td>" in html
    assert "cookie declaration without the lifetimes seen" in caplog.text

"""The console's document: each role's navigation, the logout form with its CSRF field, the language
switch, the stylesheet; no script and no inline style anywhere (the console's CSP allows neither)."""

from __future__ import annotations

import json
import re

import pytest

from consentkit.console.layout import STATIC_DIR, document
from consentkit.console.page import ROLES, Role, User, allows
from consentkit.console.pages import PAGES
from consentkit.console.texts import shipped_languages, texts
from consentkit.storage import Store
from console.console_helpers import Markup, config, request
from console.console_helpers import render as render_page
from rollup_data import traffic, utc

NAV = {"viewer": ["Overview", "Consent", "Cookies"],
       "reviewer": ["Overview", "Consent", "Collection log", "Ledger", "Subjects", "Retention", "Cookies", "Audit"]}
NAV["officer"] = NAV["reviewer"]


def nav_of(html: str) -> list[str]:
    nav = html.split('<nav class="pages"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r">([^<>]+)</a>", nav)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_pages_it_may_open(role: Role, store: Store) -> None:
    req = request(store, role)
    html = document("Consent", "<p>x</p>", req=req, user=req.user, lang="en", base="/console")
    assert nav_of(html) == NAV[role]
    assert [p.name for p in PAGES if allows(role, p.role)] == [
        {"Collection log": "log"}.get(n, n.lower()) for n in NAV[role]]
    markup = Markup(html)
    current = [a for t, a in markup.tags if t == "a" and a.get("aria-current") == "page"]
    assert [a["href"] for a in current] == ["/console/consent"]
    logout = next(a for t, a in markup.tags if t == "form" and a.get("method") == "post")
    assert logout["action"] == "/console/logout"
    assert '<input type="hidden" name="csrf" value="tok-123">' in html
    assert f"Signed in as {role}-user ({role})" in html
    assert '<link rel="stylesheet" href="/console/static/console.css">' in html


def test_no_script_and_no_inline_style_on_any_page(store: Store) -> None:
    traffic(store)
    for page in PAGES:
        req = request(store, "officer", query={"from": "2026-03-01", "to": "2026-03-04"}, now=utc(9),
                      cfg=config(reports={"min_visitors": 1}))
        result = page.render(req)
        html = document(result.title, result.body, req=req, user=req.user, lang="en", base="/console",
                        notices=("a <notice>",))
        markup = Markup(html)
        assert html.startswith("<!doctype html>") and markup.all("h1") and markup.all("main")
        assert not markup.all("script") and not markup.all("style"), page.path
        assert all("style" not in a and not any(k.startswith("on") for k in a) for _, a in markup.tags), page.path
        assert "a &lt;notice&gt;" in html
        for form in markup.all("form"):
            assert form["method"] in ("get", "post")
        posts = html.count('method="post"')
        assert html.count('name="csrf" value="tok-123"') == posts, page.path


def test_the_login_page_has_no_navigation_and_offers_the_shipped_languages() -> None:
    html = document("Log in", "<form></form>", req=None, user=None, lang="de", base="")
    assert '<html lang="de" dir="ltr">' in html and 'class="pages"' not in html and "/logout" not in html
    options = re.findall(r'<option value="([a-z-]+)"', html)
    assert options == list(shipped_languages()) and '<option value="de" selected>' in html
    assert "Sprache" in html and "Zum Inhalt springen" in html
    arabic = document("x", "", req=None, user=User("a", "viewer", ""), lang="ar", base="")
    assert 'dir="rtl"' in arabic


def test_texts_fall_back_to_english_per_key_and_every_locale_is_a_subset_of_english() -> None:
    english = texts("en")
    for lang in shipped_languages():
        own = json.loads((STATIC_DIR.parent / "locales" / f"{lang}.json").read_text("utf-8"))
        assert set(own) <= set(english), lang
        assert set(texts(lang)) == set(english)
        for key, value in own.items():  # the same placeholders, so a format never fails
            assert re.findall(r"\{(\w+)\}", value) == re.findall(r"\{(\w+)\}", english[key]), (lang, key)
    assert texts("de")["overview"] == "Übersicht" and texts("de")["chain_ok"] == english["chain_ok"]
    assert texts("de-AT")["overview"] == "Übersicht" and texts("xx") == english
    for page in PAGES:
        assert page.name in english


def test_the_stylesheet_is_a_file_with_both_themes() -> None:
    css = (STATIC_DIR / "console.css").read_text("utf-8")
    assert "prefers-color-scheme: dark" in css and ":has(#theme:checked)" in css
    for cls in ("bar", "label", "axis", "line-1", "o-accept-all", "o-reject-all", "o-custom"):
        assert f".{cls}" in css


def test_a_chosen_language_stays_on_the_next_page(store: Store) -> None:
    traffic(store)
    req = request(store, "reviewer", lang="de", query={"from": "2026-03-02", "to": "2026-03-03"}, now=utc(9))
    result = render_page("/log", req)
    html = document(result.title, result.body, req=req, user=req.user, lang="de", base="/console")
    assert '<a href="/console/ledger?lang=de">Register</a>' in html and "Erfassungsprotokoll" in html
    assert '<input type="hidden" name="lang" value="de">' in result.body  # the filter form keeps it
    assert "subjects?subject=v0&amp;lang=de" in result.body
    english = request(store, "reviewer")
    assert "lang=" not in document("x", "", req=english, user=english.user, lang="en", base="/console").split(
        '<nav class="pages"')[1]

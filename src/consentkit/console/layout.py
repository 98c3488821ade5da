"""The console's whole HTML document around a page: navigation of the pages the user's role allows,
who is signed in and a logout form, a language switch, the stylesheet.

No script and no inline style anywhere (the console's Content-Security-Policy forbids both): the
stylesheet is a file under `STATIC_DIR`, which the shell serves at ``{base}/static/``; the theme
follows the system and a checkbox (styled by `:has()`) shows the other one without script.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from consentkit.banner.i18n import direction
from consentkit.console.html import csrf
from consentkit.console.page import PageRequest, User, allows
from consentkit.console.pages import PAGES
from consentkit.console.texts import LANGUAGE_NAMES, languages, shipped_languages, texts
from consentkit.htmlsafe import escape

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"
"""console.css and whatever else the shell serves at ``{base}/static/``."""


def document(title: str, body: str, *, req: PageRequest | None, user: User | None, lang: str, base: str,
             notices: tuple[str, ...] = ()) -> str:
    """A whole HTML5 document. `body` is safe HTML (a page's), `title` and `notices` plain text;
    `req` is None where there is no signed-in request yet (the login page)."""
    t = texts(lang)
    head = (f'<!doctype html><html lang="{escape(lang)}" dir="{direction(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · {escape(t['app'])}</title>"
            f'<link rel="stylesheet" href="{escape(base)}/static/console.css"></head>')
    notice = ""
    if notices:
        items = "".join(f"<li>{escape(n)}</li>" for n in notices)
        notice = f'<div class="notices" role="status" aria-label="{escape(t["notices"])}"><ul>{items}</ul></div>'
    return (
        f'{head}<body><a class="skip" href="#main">{escape(t["skip"])}</a>'
        f"{_header(t, req, user, lang, base)}{_nav(t, user, title, base, _keep(req, lang))}"
        f'<main id="main"><h1>{escape(title)}</h1>{notice}{body}</main></body></html>'
    )


def _header(t: dict[str, str], req: PageRequest | None, user: User | None, lang: str, base: str) -> str:
    who = ""
    if user is not None:
        who = f"<span>{escape(t['signed_in'].format(name=user.name, role=t['role.' + user.role]))}</span>"
        if req is not None:
            who += (f'<form method="post" action="{escape(base)}/logout">'
                    f'{csrf(req)}'
                    f'<button type="submit">{escape(t["logout"])}</button></form>')
    offered = languages(req.config.banner) if req is not None else shipped_languages()
    options = "".join(
        f'<option value="{escape(code)}"{" selected" if code == lang else ""}>'
        f"{escape(LANGUAGE_NAMES.get(code, code))}</option>"
        for code in offered
    )
    switch = (f'<form method="get" class="lang"><label for="lang-switch">{escape(t["language"])}</label>'
              f'<select id="lang-switch" name="lang">{options}</select>'
              f'<button type="submit">{escape(t["show"])}</button></form>')
    theme = f'<input type="checkbox" id="theme"><label for="theme" class="theme-switch">{escape(t["theme"])}</label>'
    return (f'<header><p class="brand">{escape(t["app"])}</p>'
            f'<div class="who">{who}{switch}{theme}</div></header>')


def _keep(req: PageRequest | None, lang: str) -> str:
    """The query that keeps a chosen language on the next page (none for the site's default)."""
    default = req.config.banner.default_language if req is not None else "en"
    return "" if lang == default else "?" + urlencode({"lang": lang})


def _nav(t: dict[str, str], user: User | None, title: str, base: str, keep: str) -> str:
    if user is None:
        return ""
    items = []
    for page in PAGES:
        if not allows(user.role, page.role):
            continue
        name = t[page.name]
        current = ' aria-current="page"' if name == title else ""
        items.append(f'<li><a href="{escape(base + page.path + keep)}"{current}>{escape(name)}</a></li>')
    return f'<nav class="pages" aria-label="{escape(t["nav_label"])}"><ul>{"".join(items)}</ul></nav>'

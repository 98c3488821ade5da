"""The declaration as HTML (a fragment for the site's privacy page, or a whole page) and Markdown.

Every configured or observed value is escaped (`consentkit.htmlsafe.escape`): cookie names seen
in responses come from the site's app and its scripts, not from consentkit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from consentkit.htmlsafe import escape
from consentkit.review.declaration import Declaration, DeclaredCategory, DeclaredCookie, declaration, lifetime_text
from consentkit.storage.base import Store, StoreError

if TYPE_CHECKING:
    from consentkit.config import ConsentConfig

log = logging.getLogger("consentkit")


def _provider(d: Declaration, c: DeclaredCookie) -> str:
    if c.provider:
        return c.provider
    return d.texts["this_site"] if c.party == "first" else d.texts["unknown"]


def _cells(d: Declaration, c: DeclaredCookie) -> tuple[str, str, str, str]:
    return (c.name, _provider(d, c), d.texts[c.party], lifetime_text(d.texts, c.lifetime_s, c.lifetime_source))


def _facts(d: Declaration, cat: DeclaredCategory) -> list[tuple[str, str]]:
    t = d.texts
    data = ", ".join(g.label for g in cat.data) or t["none"]
    return [
        (t["purpose"], cat.purpose),
        (t["lawful_basis"], t.get(f"basis.{cat.lawful_basis}", cat.lawful_basis)),
        (t["retention"], t["days"].format(n=cat.retention_days)),
        (t["data"], data),
        (t["recipients"], ", ".join(cat.recipients) or t["none"]),
    ]


def declaration_html(d: Declaration) -> str:
    """An HTML fragment (a `<section>`) for the site's privacy page."""
    t = d.texts
    out = [f'<section class="ck-declaration" lang="{escape(d.lang)}" dir="{escape(d.direction)}">',
           f"<h2>{escape(t['title'])}</h2>"]
    for cat in d.categories:
        title = cat.title + (f" ({t['required']})" if cat.required else "")
        out.append(f'<section class="ck-declaration-category" id="ck-category-{escape(cat.key)}">')
        out.append(f"<h3>{escape(title)}</h3>")
        out.append("<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in _facts(d, cat)) + "</dl>")
        if cat.cookies:
            head = "".join(f'<th scope="col">{escape(h)}</th>'
                           for h in (t["cookie"], t["provider"], t["party"], t["lifetime"]))
            rows = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in _cells(d, c)) + "</tr>"
                           for c in cat.cookies)
            out.append(f"<table><caption>{escape(t['cookies'])}</caption><thead><tr>{head}</tr></thead>"
                       f"<tbody>{rows}</tbody></table>")
        out.append("</section>")
    out.append("</section>")
    return "\n".join(out) + "\n"


def declaration_page(d: Declaration) -> str:
    """A whole HTML page around the fragment, readable as it is."""
    style = ("body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;"
             "text-align:start}dt{font-weight:600}")
    return (f'<!DOCTYPE html>\n<html lang="{escape(d.lang)}" dir="{escape(d.direction)}">\n<head>\n'
            f'<meta charset="utf-8">\n<title>{escape(d.texts["title"])}</title>\n<style>{style}</style>\n</head>\n'
            f"<body>\n{declaration_html(d)}</body>\n</html>\n")


def _md(text: str) -> str:
    """Text for a Markdown table cell or line: HTML escaped (Markdown passes HTML through), and the
    characters Markdown would read as markup backslash-escaped."""
    out = escape(" ".join(text.split()))
    for ch in "\\`*_[]|#":
        out = out.replace(ch, "\\" + ch)
    return out


def declaration_markdown(d: Declaration) -> str:
    t = d.texts
    lines = [f"# {_md(t['title'])}", ""]
    for cat in d.categories:
        lines += [f"## {_md(cat.title)}" + (f" ({_md(t['required'])})" if cat.required else ""), ""]
        lines += [f"- **{_md(k)}:** {_md(v)}" for k, v in _facts(d, cat)]
        lines.append("")
        if cat.cookies:
            lines.append("| " + " | ".join(_md(h) for h in (t["cookie"], t["provider"], t["party"], t["lifetime"]))
                         + " |")
            lines.append("| --- | --- | --- | --- |")
            lines += ["| " + " | ".join(_md(v) for v in _cells(d, c)) + " |" for c in cat.cookies]
            lines.append("")
    if d.undeclared:
        lines += ["## Undeclared cookies seen", "",
                  "Set by the site but declared by no category (`consentkit audit` reports them):", ""]
        lines += [f"- {_md(u.name)} ({_md(lifetime_text(t, u.lifetime_s, 'observed'))})" for u in d.undeclared]
        lines.append("")
    return "\n".join(lines)


def cookie_declaration_html(config: ConsentConfig, lang: str | None = None, *, store: Store | None = None,
                            accept_language: str = "") -> str:
    """The cookie declaration for the site's privacy page, as an HTML fragment in `lang` (else the
    best `accept_language` match among the banner's languages, else its default). With the site's
    `store` (`engine.store`), lifetimes are those seen in its responses; without, only consentkit's
    own cookies have one. A store that fails is logged, and the declaration made without it: the
    privacy page is served."""
    try:
        decl = declaration(config, store, lang=lang, accept_language=accept_language)
    except StoreError as exc:
        log.warning("consentkit: cookie declaration without the lifetimes seen: %s", exc)
        decl = declaration(config, None, lang=lang, accept_language=accept_language)
    return declaration_html(decl)

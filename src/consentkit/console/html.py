"""Small HTML pieces the pages share: tables, forms, links. Every text goes through `escape` here,
so a page passes plain strings (values from the store included) and never builds markup from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlencode

from consentkit.console.page import PageRequest
from consentkit.htmlsafe import escape, printable

Cell = str | int | float | None
NONE = "\u2013"
"""What an empty cell shows (an en dash)."""


def cell_text(value: Cell) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "✓" if value else NONE
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return printable(value)


def table(head: Sequence[str], rows: Iterable[Sequence[Cell]], *, caption: str = "", empty: str = "",
          raw_columns: Sequence[int] = ()) -> str:
    """A table; numbers right-aligned (class "num"). Cells of `raw_columns` are already safe HTML
    (links and forms the page built with these helpers)."""
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            num = ' class="num"' if isinstance(value, int | float) and not isinstance(value, bool) else ""
            text = str(value) if i in raw_columns else escape(cell_text(value))
            cells.append(f"<td{num}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body and empty:
        return f'<p class="empty">{escape(empty)}</p>'
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    heads = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    return (f'<div class="scroll"><table>{cap}<thead><tr>{heads}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def facts(pairs: Iterable[tuple[str, Cell]]) -> str:
    """A definition list of label → value."""
    items = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(cell_text(v))}</dd></div>" for k, v in pairs)
    return f'<dl class="facts">{items}</dl>'


def kept_language(req: PageRequest) -> dict[str, str]:
    """The `lang` parameter that keeps a chosen language on the next page (none for the default)."""
    return {"lang": req.lang} if req.lang != req.config.banner.default_language else {}


def url(req: PageRequest, path: str, query: Mapping[str, str | None] | None = None) -> str:
    """`path` below the console's base, with the non-empty `query` values and the chosen language
    (escaped for an attribute)."""
    pairs = {k: v for k, v in {**(query or {}), **kept_language(req)}.items() if v}
    return escape(req.base + path + ("?" + urlencode(pairs) if pairs else ""))


def link(href: str, text: str, *, cls: str = "") -> str:
    """A link to an `href` made by `url` (already escaped)."""
    c = f' class="{escape(cls)}"' if cls else ""
    return f"<a href=\"{href}\"{c}>{escape(text)}</a>"


def csrf(req: PageRequest) -> str:
    return f'<input type="hidden" name="{escape(req.csrf_field)}" value="{escape(req.csrf_token)}">'


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def field(name: str, label: str, value: str | None = "", *, kind: str = "text", ident: str = "",
          extra: str = "") -> str:
    ident = ident or f"f-{name}"
    return (f'<div class="field"><label for="{escape(ident)}">{escape(label)}</label>'
            f'<input type="{escape(kind)}" id="{escape(ident)}" name="{escape(name)}" value="{escape(value or "")}"'
            f"{extra}></div>")


def select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str | None) -> str:
    opts = "".join(f'<option value="{escape(v)}"{" selected" if v == (chosen or "") else ""}>{escape(t)}</option>'
                   for v, t in options)
    return (f'<div class="field"><label for="f-{escape(name)}">{escape(label)}</label>'
            f'<select id="f-{escape(name)}" name="{escape(name)}">{opts}</select></div>')


def get_form(req: PageRequest, path: str, fields: str, button: str, *, label: str) -> str:
    keep = "".join(hidden(k, v) for k, v in kept_language(req).items())
    return (f'<form method="get" action="{escape(req.base + path)}" class="filters" aria-label="{escape(label)}">'
            f'{keep}{fields}<div class="field"><button type="submit">{escape(button)}</button></div></form>')


def post_form(req: PageRequest, path: str, fields: str, button: str, *, cls: str = "", label: str = "") -> str:
    c = f' class="{escape(cls)}"' if cls else ""
    aria = f' aria-label="{escape(label)}"' if label else ""
    return (f'<form method="post" action="{escape(req.base + path)}"{c}{aria}>{csrf(req)}{fields}'
            f'<button type="submit">{escape(button)}</button></form>')


def when(ts: float | None) -> str:
    """Unix seconds as a readable UTC time."""
    if ts is None:
        return NONE
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def pct(share: float | None) -> str:
    return NONE if share is None else f"{share * 100:.1f}%"


def section(heading: str, content: str, *, ident: str = "") -> str:
    i = f' id="{escape(ident)}"' if ident else ""
    return f"<section{i}><h2>{escape(heading)}</h2>{content}</section>"

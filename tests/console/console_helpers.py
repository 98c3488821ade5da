"""A real `PageRequest` for the page tests: a real store and configuration, and an access log that
keeps its records in a list (the `AccessLog` protocol the shell's chained log implements)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

from consentkit.config import ConsentConfig
from consentkit.console.page import PageRequest, PageResult, Role, User
from consentkit.console.pages import PAGES
from consentkit.storage import Store

SECRET = "k" * 40


@dataclass
class ListAccessLog:
    records: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)

    def record(self, user: User, action: str, *, subject: str = "", detail: Mapping[str, str] | None = None) -> None:
        self.records.append((user.name, action, subject, dict(detail or {})))


def config(**overrides: Any) -> ConsentConfig:
    data: dict[str, Any] = {"secret_keys": [SECRET], "storage_url": "sqlite://:memory:"}
    data.update(overrides)
    return ConsentConfig(**data)


def request(store: Store, role: Role = "officer", *, query: Mapping[str, str] | None = None,
            form: Mapping[str, str] | None = None, method: Literal["GET", "POST"] = "GET", now: float = 0.0,
            cfg: ConsentConfig | None = None, access: ListAccessLog | None = None, lang: str = "en") -> PageRequest:
    return PageRequest(
        config=cfg or config(), store=store, user=User(f"{role}-user", role, "127.0.0.1"), method=method,
        query=dict(query or {}), form=dict(form or {}), lang=lang, base="/console", csrf_field="csrf",
        csrf_token="tok-123", access=access if access is not None else ListAccessLog(), now=now,
    )


def page(path: str) -> Any:
    return next(p for p in PAGES if p.path == path)


def render(path: str, req: PageRequest) -> PageResult:
    return page(path).render(req)  # type: ignore[no-any-return]


class Markup(HTMLParser):
    """Every start tag and attribute of a page, and its text, to check structure rather than strings."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def facts_of(html: str) -> dict[str, str]:
    """The figures of a page's summary: label → value, as shown."""
    import re
    from html import unescape

    return {unescape(k): unescape(v) for k, v in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html)}


def table_rows(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, each cell's text (links and markup removed)."""
    import re
    from html import escape, unescape

    start = html.index(f"<caption>{escape(caption)}</caption>")
    body = html[start:html.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1])
    return [[unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]

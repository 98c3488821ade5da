"""Chat providers: strict id checks for the presets, and the generic HTML template.

The presets (LiveChat, tawk.to, Crisp, Chatwoot, Zendesk) need only an account id: `chat.js` knows
how each one loads, so no inline script is needed. The "generic" provider is an HTML snippet with
placeholders; it is checked at start-up so that it cannot break the page it is inserted into.
"""

from __future__ import annotations

import re
import string
from html import escape
from html.parser import HTMLParser
from typing import Any

MAX_TEMPLATE = 8192
PLACEHOLDERS = frozenset({"site_id", "widget_id", "base_url", "nonce", "prefix"})

# provider → (pattern, what it looks like); ids are used in URLs and scripts, so nothing else passes.
ID_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "livechat": (re.compile(r"^[0-9]{1,12}\Z"), "a LiveChat licence number (digits only)"),
    "tawkto": (re.compile(r"^[0-9a-f]{24}\Z"), "a tawk.to property id (24 hexadecimal characters)"),
    "crisp": (
        re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"),
        "a Crisp website id (a lower-case UUID)",
    ),
    "chatwoot": (re.compile(r"^[A-Za-z0-9]{16,64}\Z"), "a Chatwoot website token (16-64 letters and digits)"),
    "zendesk": (
        re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"),
        "a Zendesk Web Widget key (a lower-case UUID, from snippet.js?key=…)",
    ),
    "generic": (re.compile(r"^[A-Za-z0-9._\-]{0,128}\Z"), "letters, digits and . _ - (at most 128)"),
}
_WIDGET_ID = re.compile(r"^[A-Za-z0-9]{1,64}\Z")
_BASE_URL = re.compile(r"^https://[A-Za-z0-9.\-]{1,190}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~\-/]*)?\Z")
NONCE = re.compile(r"^[A-Za-z0-9+/=_\-]{1,128}\Z")

ALLOWED_TAGS = frozenset(
    {"a", "b", "button", "div", "i", "iframe", "img", "link", "noscript", "p", "script", "small", "span",
     "strong", "style"}
)
VOID_TAGS = frozenset({"img", "link"})
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "srcdoc", "xlink:href"})
_BAD_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.IGNORECASE)
_QUOTED = re.compile(r"""=\s*(?:"[^"]*"|'[^']*')""")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SENTINEL = "ckph0x{}0x"


def check_site_id(provider: str | None, value: str) -> str:
    pattern, looks = ID_RULES.get(provider or "generic", ID_RULES["generic"])
    if provider not in (None, "generic") and not value:
        raise ValueError(f"provider {provider!r} needs site_id: {looks}")
    if not pattern.match(value):
        raise ValueError(f"{value[:60]!r} is not {looks}")
    return value


def check_widget_id(value: str) -> str:
    if not _WIDGET_ID.match(value):
        raise ValueError(f"{value[:60]!r} is not a widget id (1-64 letters and digits, e.g. 'default')")
    return value


def check_base_url(value: str) -> str:
    if not _BASE_URL.match(value):
        raise ValueError(f"{value[:80]!r} is not an https URL without query, e.g. 'https://chat.example.com'")
    return value.rstrip("/")


def params(provider: str | None, site_id: str, widget_id: str, base_url: str) -> dict[str, Any]:
    if provider == "tawkto":
        return {"site_id": site_id, "widget_id": widget_id}
    if provider == "chatwoot":
        return {"site_id": site_id, "base_url": base_url}
    return {"site_id": site_id} if site_id else {}


def escape_value(value: str) -> str:
    """Safe in HTML text, quoted attributes and JS string or template literals: it cannot end any of them."""
    return (
        escape(value, quote=True).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
        .replace("\u2028", "&#8232;").replace("\u2029", "&#8233;")
    )


def render(template: str, values: dict[str, str]) -> str:
    """The template with every placeholder replaced by its escaped value (unknown ones by "")."""
    return template.format_map({k: escape_value(values.get(k, "")) for k in PLACEHOLDERS})


def check_template(template: str) -> str:
    """Refuse a template that could inject markup beyond itself; the error says what and where."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write literal braces as {{{{ and }}}}") from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise ValueError(
                f"unknown placeholder {{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                f"; known: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}"
            )
    probe = template.format_map({k: _SENTINEL.format(k) for k in PLACEHOLDERS})
    if "<!--" in _COMMENT.sub("", probe):
        raise ValueError("an HTML comment is not closed (<!-- without -->)")
    checker = _Checker()
    checker.feed(_COMMENT.sub("", probe))
    if checker.problem is None and checker.rawdata:
        checker.problem = f"the template ends inside a tag or an element's text: {checker.rawdata[:40]!r}"
    if checker.problem is None and checker.stack:
        checker.problem = f"<{checker.stack[-1]}> is not closed"
    if checker.problem is not None:
        raise ValueError(checker.problem)
    return template


class _Checker(HTMLParser):
    """Allowed tags only, balanced, no inline handlers or script URLs, placeholders only in text or quoted values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problem: str | None = None

    def _fail(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if tag not in ALLOWED_TAGS:
            self._fail(f"<{tag[:40]}> is not allowed in a chat template (allowed: {', '.join(sorted(ALLOWED_TAGS))})")
            return
        quoted = "".join(m.group(0) for m in _QUOTED.finditer(raw))
        if raw.count("ckph0x") != quoted.count("ckph0x"):
            self._fail(f"in <{tag}>, a placeholder may only appear inside a quoted attribute value")
        for name, value in attrs:
            if name.startswith("on"):
                self._fail(f"<{tag} {name}=…>: inline event handlers are not allowed (CSP); use a script")
            elif name in _URL_ATTRS and value and _BAD_SCHEME.match(value):
                self._fail(f"<{tag} {name}=…>: javascript:, vbscript: and data: URLs are not allowed")
        if tag not in VOID_TAGS:  # browsers ignore "/>" on other elements: <div/> stays open
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self._fail(f"</{tag[:40]}> does not close an element the template opened")
        else:
            self.stack.pop()

    def handle_decl(self, decl: str) -> None:
        self._fail("a <!DOCTYPE …> declaration is not allowed in a chat template")

    def unknown_decl(self, data: str) -> None:
        self._fail("<![…]> sections are not allowed in a chat template")

    def handle_pi(self, data: str) -> None:
        self._fail("<?…> processing instructions are not allowed in a chat template")

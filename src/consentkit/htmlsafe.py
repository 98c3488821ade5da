"""Text and data put into HTML pages: one escaper for each, used by the banner and the chat."""

from __future__ import annotations

import html
import json
from typing import Any


def escape(text: str) -> str:
    """Text for an element or a quoted attribute value."""
    return html.escape(text, quote=True)


def script_json(data: Any) -> str:
    """JSON that cannot end a <script> element or open a comment (no `<`, `>` or `&`), and ASCII
    only, so that it means the same whatever the page's charset (U+2028 and U+2029 included)."""
    raw = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def printable(text: str) -> str:
    """`text` on one line, printable: a stored value may hold control characters (each becomes U+FFFD)."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)

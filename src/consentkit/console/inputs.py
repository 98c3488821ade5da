"""The console's untrusted input: query strings and form bodies, bounded and decoded strictly.

Whatever a client sends, the result is either a mapping of names to their last value or `BadInput`
with a message naming the problem (shown as a 4xx), never another exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

MAX_QUERY = 4096
"""Bytes of a query string."""
MAX_FORM = 64 * 1024
"""Bytes of a form body."""
MAX_FIELDS = 64
MAX_VALUE = 8192
FORM_TYPE = "application/x-www-form-urlencoded"


class BadInput(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_fields(raw: bytes, what: str, limit: int) -> dict[str, str]:
    """`name=value&…` (URL-encoded UTF-8) as name → its last value."""
    if len(raw) > limit:
        raise BadInput(f"the {what} is longer than {limit} bytes", 413 if what == "form" else 414)
    try:
        text = raw.decode("ascii")  # URL-encoded: anything else is percent-escaped
    except UnicodeDecodeError:
        raise BadInput(f"the {what} holds raw non-ASCII bytes; percent-encode them") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise BadInput(f"the {what} is not UTF-8 once percent-decoded") from None
    except ValueError:  # parse_qsl's own "Max number of fields exceeded"
        raise BadInput(f"the {what} has more than {MAX_FIELDS} fields") from None
    return checked_fields(pairs, what)


def checked_fields(pairs: Iterable[tuple[str, str]], what: str = "form") -> dict[str, str]:
    """Decoded (name, value) pairs, as a framework parsed them, within the same bounds."""
    out: dict[str, str] = {}
    for n, (name, value) in enumerate(pairs):
        if n >= MAX_FIELDS:
            raise BadInput(f"the {what} has more than {MAX_FIELDS} fields")
        if len(name) > 64 or len(value) > MAX_VALUE:
            raise BadInput(f"a field of the {what} is too long (names: 64, values: {MAX_VALUE} characters)")
        if "\x00" in name or "\x00" in value:
            raise BadInput(f"the {what} holds a NUL character")
        out[name] = value
    return out


def parse_query(raw: bytes) -> dict[str, str]:
    return parse_fields(raw, "query string", MAX_QUERY)


def parse_form(content_type: str, body: bytes) -> dict[str, str]:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind != FORM_TYPE:
        raise BadInput(f"send the form as {FORM_TYPE}, not {kind or 'no content type'!r}", 415)
    return parse_fields(body, "form", MAX_FORM)

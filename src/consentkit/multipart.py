"""multipart/form-data bodies (RFC 7578) of untrusted requests: text fields only.

Forms posted this way (Django's test client does by default, and so does a page's `FormData`) are
forms like any other, so the consent endpoint reads them. Everything is checked: the boundary, each
part's headers, the closing delimiter and the number of fields; a file part is refused, since no
consentkit endpoint takes a file. The whole body is in memory already (bounded by max_body_bytes).
"""

from __future__ import annotations

import re

MAX_HEADER_BYTES = 1024
"""Per part: a text field's headers are a Content-Disposition and perhaps a Content-Type line."""

# RFC 2046 bchars: 1 to 70 of these, not ending in a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_PARAM = re.compile(r';\s*([A-Za-z0-9!#$%&\'*+\-.^_`|~]+)\s*=\s*("(?:[^"\\\r\n]|\\[^\r\n])*"|[^;\s"]*)\s*')
_QUOTED_PAIR = re.compile(r"\\(.)")


class MultipartError(ValueError):
    """The body is not a well-formed multipart/form-data body of text fields; the message says why."""


def parse_multipart(content_type: str, body: bytes, max_fields: int) -> dict[str, list[str]]:
    """The text fields of `body`, each name mapped to its values in order (fields may repeat)."""
    delimiter = b"--" + _boundary(content_type).encode("ascii")
    if body.startswith(delimiter):
        position = len(delimiter)
    else:  # after a preamble, which is ignored
        found = body.find(b"\r\n" + delimiter)
        if found < 0:
            raise MultipartError("multipart body has no part")
        position = found + 2 + len(delimiter)
    fields: dict[str, list[str]] = {}
    count = 0
    while body[position:position + 2] != b"--":  # the close delimiter; an epilogue after it is ignored
        while body[position:position + 1] in (b" ", b"\t"):  # transport padding
            position += 1
        if body[position:position + 2] != b"\r\n":
            raise MultipartError("multipart delimiter is not followed by a line break")
        start = position + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise MultipartError("multipart body ends before its closing boundary")
        count += 1
        if count > max_fields:
            raise MultipartError(f"multipart body has more than {max_fields} fields")
        name, value = _part(body[start:end])
        fields.setdefault(name, []).append(value)
        position = end + 2 + len(delimiter)
    return fields


def _boundary(content_type: str) -> str:
    _, semicolon, rest = content_type.partition(";")
    boundary = _params(semicolon + rest).get("boundary")
    if boundary is None:
        raise MultipartError("multipart/form-data without a boundary parameter")
    if not _BOUNDARY.fullmatch(boundary):
        raise MultipartError("multipart boundary is not 1 to 70 allowed characters")
    return boundary


def _params(text: str) -> dict[str, str]:
    """`; key=value; key="quoted"` → {key: value}, keys lower-cased; a malformed list is refused."""
    found: dict[str, str] = {}
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _PARAM.match(text, position)
        if match is None:
            raise MultipartError("malformed parameters in a multipart header")
        key, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = _QUOTED_PAIR.sub(r"\1", value[1:-1])
        if key in found:
            raise MultipartError(f"parameter {key!r} repeated in a multipart header")
        found[key] = value
        position = match.end()
    return found


def _part(part: bytes) -> tuple[str, str]:
    """One part → (field name, text value)."""
    head, separator, content = part.partition(b"\r\n\r\n")
    if not separator and part.endswith(b"\r\n"):
        # an empty value whose blank line is the delimiter's own line break, as Werkzeug encodes it
        head, separator, content = part[:-2], b"\r\n\r\n", b""
    if not separator or not head:
        raise MultipartError("multipart part has no headers, or no blank line after them")
    if len(head) > MAX_HEADER_BYTES:
        raise MultipartError("multipart part headers are too long")
    disposition = None
    for line in head.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise MultipartError("malformed header line in a multipart part")
        try:
            header_value = value.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise MultipartError("multipart part header is not UTF-8") from None
        if name.lower() == b"content-disposition":
            if disposition is not None:
                raise MultipartError("multipart part has two Content-Disposition headers")
            disposition = header_value
    if disposition is None:
        raise MultipartError("multipart part has no Content-Disposition header")
    kind, _, rest = disposition.partition(";")
    if kind.strip().lower() != "form-data":
        raise MultipartError("multipart part is not form-data")
    params = _params(";" + rest if rest else "")
    if "filename" in params or "filename*" in params:
        raise MultipartError("multipart part is a file; only text fields are accepted")
    field = params.get("name")
    if field is None:
        raise MultipartError("multipart part has no field name")
    try:
        return field, content.decode("utf-8")
    except UnicodeDecodeError:
        raise MultipartError(f"multipart field {field[:40]!r} is not UTF-8") from None

"""multipart/form-data parsing of untrusted bodies: what real encoders send comes back field for
field; anything else is a MultipartError (a 400 naming the problem), never another exception."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from consentkit.multipart import MultipartError, parse_multipart

from conftest import ORIGIN

BCHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?"
# Field names as browsers send them: quotes and line breaks are percent-encoded, so never raw.
names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\r\n'), max_size=20)
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
fields = st.lists(st.tuples(names, values), max_size=12)
boundaries = st.text(BCHARS, min_size=1, max_size=70)


def as_dict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def encode(pairs: list[tuple[str, str]], boundary: str, preamble: bytes = b"", padding: bytes = b"",
           epilogue: bytes = b"") -> bytes:
    """RFC 2046/7578 by the letter, with the optional preamble, transport padding and epilogue."""
    delimiter = b"--" + boundary.encode()
    out = preamble + (b"\r\n" if preamble else b"")
    for name, value in pairs:
        out += delimiter + padding + b"\r\n"
        out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
    return out + delimiter + b"--" + epilogue


@given(fields)
def test_what_werkzeug_encodes_comes_back(pairs: list[tuple[str, str]]) -> None:
    boundary, body = encode_multipart(MultiDict(pairs))
    assert parse_multipart(f'multipart/form-data; boundary="{boundary}"', body, 64) == as_dict(pairs)


@given(fields, boundaries, st.sampled_from([b"", b"a preamble", b"x\r\ny"]), st.sampled_from([b"", b" ", b"\t "]),
       st.sampled_from([b"", b"\r\n", b"\r\nepilogue --"]))
def test_the_grammar_round_trips(pairs: list[tuple[str, str]], boundary: str, preamble: bytes, padding: bytes,
                                 epilogue: bytes) -> None:
    delimiter = "--" + boundary
    if any(delimiter in value or delimiter in name for name, value in pairs) or delimiter.encode() in preamble:
        return  # an encoder picks a boundary the content does not contain
    body = encode(pairs, boundary, preamble, padding, epilogue)
    quoted = boundary.replace("\\", "\\\\")
    assert parse_multipart(f'multipart/form-data; charset=utf-8; boundary="{quoted}"', body, 64) == as_dict(pairs)


@given(st.text(max_size=80), st.binary(max_size=300))
def test_any_content_type_and_body_parse_or_raise_multipart_error(content_type: str, body: bytes) -> None:
    try:
        parsed = parse_multipart(content_type, body, 64)
    except MultipartError:
        return
    assert all(isinstance(k, str) and all(isinstance(v, str) for v in vs) for k, vs in parsed.items())


@given(fields, st.data())
def test_a_damaged_body_parses_or_raises_multipart_error(pairs: list[tuple[str, str]], data: st.DataObject) -> None:
    body = bytearray(encode(pairs, "b0undary"))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(body)))
        if data.draw(st.booleans()) and at < len(body):
            del body[at]
        else:
            body[at:at] = data.draw(st.sampled_from([b"\r\n", b"--", b"\"", b";", b"b0undary", b"\xff", b" "]))
    with contextlib.suppress(MultipartError):
        parse_multipart("multipart/form-data; boundary=b0undary", bytes(body), 64)


@pytest.mark.parametrize(("content_type", "body", "problem"), [
    ("multipart/form-data", b"", "without a boundary"),
    ("multipart/form-data; boundary=", b"", "1 to 70"),
    ("multipart/form-data; boundary=" + "x" * 71, b"", "1 to 70"),
    ("multipart/form-data; boundary=b; boundary=c", b"", "repeated"),
    ("multipart/form-data; boundary=b", b"no delimiter here", "no part"),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx", "closing boundary"),
    ("multipart/form-data; boundary=b", b"--b\r\n\r\nx\r\n--b--", "no headers"),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "no Content-Disposition"),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "no field name"),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--",
     "not form-data"),
    ("multipart/form-data; boundary=b",
     b'--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nx\r\n--b--', "is a file"),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\xff\r\n--b--",
     "not UTF-8"),
    ("multipart/form-data; boundary=b", b"--bX\r\n", "line break"),
])
def test_malformed_bodies_are_named(content_type: str, body: bytes, problem: str) -> None:
    with pytest.raises(MultipartError, match=problem):
        parse_multipart(content_type, body, 64)


def test_the_field_count_is_bounded() -> None:
    body = encode([("grant", "x")] * 65, "b")
    assert parse_multipart("multipart/form-data; boundary=b", encode([("grant", "x")] * 64, "b"), 64)
    with pytest.raises(MultipartError, match="more than 64 fields"):
        parse_multipart("multipart/form-data; boundary=b", body, 64)


def test_the_consent_endpoint_takes_a_multipart_form_and_names_a_bad_one(site: Any, tmp_path: Path) -> None:
    client, _ = site()
    headers = {**ORIGIN, "content-type": "multipart/form-data; boundary=b"}
    body = encode([("action", "choose"), ("grant", "analytics"), ("next", "/whoami")], "b")
    r = client.post("/_consent", content=body, headers=headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/whoami"
    assert client.get("/_consent/state").json()["effective"] == ["analytics", "necessary"]
    bad = client.post("/_consent", content=body[:-4], headers=headers)
    assert bad.status_code == 400 and bad.json()["error"] == "multipart body ends before its closing boundary"

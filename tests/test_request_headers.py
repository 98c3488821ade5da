"""Which request headers the ASGI path decodes: all the core reads, in any case, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from consentkit.http import READ_HEADERS, headers_from_asgi

SRC = Path(__file__).resolve().parents[1] / "src" / "consentkit"
# A request header read in the core: headers.get("x"), h.get("x"), req.header("x"), request.header("x").
_READ = re.compile(r"\b(?:headers|h|req|request)\.(?:get|header)\(\s*\"([a-z0-9-]+)\"")


def test_every_header_the_core_reads_is_decoded() -> None:
    read = {m.group(1) for f in SRC.rglob("*.py") for m in _READ.finditer(f.read_text())}
    assert {"cookie", "user-agent", "sec-gpc", "x-forwarded-for"} <= read  # the scan finds reads at all
    assert read <= READ_HEADERS, f"read but never decoded on the ASGI path: {sorted(read - READ_HEADERS)}"


def test_names_in_any_case_are_read_and_repeats_joined() -> None:
    raw = [(b"Cookie", b"a=1"), (b"cookie", b"b=2"), (b"User-Agent", b"UA"), (b"X-Forwarded-For", b"1.2.3.4"),
           (b"x-forwarded-for", b"5.6.7.8"), (b"Accept-Encoding", b"gzip"), (b"sec-ch-ua", b"x")]
    assert headers_from_asgi(raw) == {"cookie": "a=1; b=2", "user-agent": "UA", "x-forwarded-for": "1.2.3.4, 5.6.7.8"}


@given(st.lists(st.tuples(st.sampled_from([n.encode() for n in READ_HEADERS] + [b"Accept", b"X-Other", b"DNT"]),
                          st.binary(max_size=40)), max_size=12))
def test_decoding_never_raises_and_keeps_only_read_names(raw: list[tuple[bytes, bytes]]) -> None:
    out = headers_from_asgi(raw)
    assert set(out) <= READ_HEADERS
    assert all(n == n.lower() for n in out)
    if any(k.lower() == b"dnt" for k, _ in raw):
        assert "dnt" in out

"""Which request headers the ASGI and WSGI paths pass on: all the core reads, in any case, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit.config import ConsentConfig
from consentkit.engine import Engine
from consentkit.http import (
    LOCATION_HEADERS,
    PROXY_HEADERS,
    READ_HEADERS,
    headers_from_asgi,
    headers_from_environ,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "consentkit"
# A request header read in the core: headers.get("x"), h.get("x"), req.header("x"), request.header("x").
_READ = re.compile(r"\b(?:headers|h|req|request)\.(?:get|header)\(\s*\"([a-z0-9-]+)\"")


def test_every_header_the_core_reads_is_decoded() -> None:
    # The review console (console/) reads Starlette's requests of its own, not the middleware's.
    read = {m.group(1) for f in SRC.rglob("*.py") if "console" not in f.relative_to(SRC).parts
            for m in _READ.finditer(f.read_text())}
    assert {"cookie", "user-agent", "sec-gpc", "referer"} <= read  # the scan finds reads at all
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


_NAME = st.one_of(st.sampled_from(sorted(READ_HEADERS)).map(lambda n: "".join(
    c.upper() if i % 2 else c for i, c in enumerate(n)).encode()), st.binary(min_size=1, max_size=12))


@given(st.lists(st.tuples(_NAME, st.binary(max_size=20)), max_size=12))
def test_decoding_matches_reading_every_name_lower_cased(raw: list[tuple[bytes, bytes]]) -> None:
    expected: dict[str, list[str]] = {}
    for k, v in raw:
        name = k.lower().decode("latin-1")
        if name in READ_HEADERS:
            expected.setdefault(name, []).append(v.decode("latin-1"))
    joined = {n: ("; " if n == "cookie" else ", ").join(vs) for n, vs in expected.items()}
    assert headers_from_asgi(raw) == joined
    assert headers_from_asgi(raw) == joined  # the same once every name is known


def test_names_learnt_are_bounded() -> None:
    from consentkit import http

    for i in range(http.NAMES_MAX + 500):
        headers_from_asgi([(f"x-flood-{i}".encode(), b"1"), (b"DNT", b"1")])
    assert http.names_known() == http.NAMES_MAX
    assert headers_from_asgi([(b"x-flood-never-seen", b"1"), (b"Sec-GPC", b"1")]) == {"sec-gpc": "1"}


def environ_key(name: str) -> str:
    return name.upper().replace("-", "_") if name in ("content-type", "content-length") else \
        "HTTP_" + name.upper().replace("-", "_")


def test_an_environ_gives_every_header_the_core_reads_and_no_other() -> None:
    env = {environ_key(n): f"v-{n}" for n in READ_HEADERS} | {"HTTP_ACCEPT": "text/html", "SERVER_NAME": "x",
                                                               "CONTENT_LENGTH": 12, "wsgi.url_scheme": "https"}
    assert headers_from_environ(env) == {n: f"v-{n}" for n in READ_HEADERS} | {"content-length": "12"}


def test_an_environ_without_host_gets_the_servers_name_and_non_default_port() -> None:
    env = {"SERVER_NAME": "example.com", "SERVER_PORT": "443", "wsgi.url_scheme": "https", "HTTP_DNT": "1"}
    assert headers_from_environ(env) == {"host": "example.com", "dnt": "1"}
    assert headers_from_environ(env, scheme="http")["host"] == "example.com:443"  # Django passes its own scheme
    assert headers_from_environ({"SERVER_NAME": "a", "SERVER_PORT": "8000"})["host"] == "a:8000"


@given(st.dictionaries(st.sampled_from([environ_key(n) for n in READ_HEADERS] + ["HTTP_ACCEPT", "SERVER_NAME",
                                                                                 "SERVER_PORT", "REMOTE_ADDR"]),
                       st.one_of(st.text(max_size=30), st.integers()), max_size=10))
def test_environ_reading_never_raises_and_keeps_only_read_names(env: dict[str, object]) -> None:
    out = headers_from_environ(env)
    assert set(out) <= READ_HEADERS
    assert all(isinstance(v, str) for v in out.values())


@pytest.mark.parametrize(("config", "believed"), [
    ({}, {"x-forwarded-for"}),
    ({"proxy_headers": ["forwarded"], "regions": {"edge": "cloudflare"}, "trusted_proxies": ["10.0.0.0/8"]},
     {"forwarded", "cf-ipcountry", "cf-region-code"}),
    ({"proxy_headers": ["x-real-ip"], "regions": {"edge": "vercel"}, "trusted_proxies": ["10.0.0.0/8"]},
     {"x-real-ip", "x-vercel-ip-country", "x-vercel-ip-country-region"}),
])
def test_a_wsgi_site_looks_up_the_forwarding_and_location_headers_it_believes_and_no_others(
    tmp_path: Path, config: dict[str, Any], believed: set[str]
) -> None:
    engine = Engine(ConsentConfig(secret_keys=["k" * 40], storage_url=f"sqlite:///{tmp_path / 'ck.db'}", **config))
    try:
        env = {environ_key(n): f"v-{n}" for n in READ_HEADERS}
        others = set(PROXY_HEADERS) | set(LOCATION_HEADERS)
        assert set(headers_from_environ(env, None, engine.environ_keys)) == (READ_HEADERS - others) | believed
    finally:
        engine.close()

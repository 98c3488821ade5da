from __future__ import annotations

import hashlib
import hmac
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.collect.ip import (
    HASH_HEX_CHARS,
    MAX_HOPS,
    ClientAddress,
    client_ip,
    keyed_hash,
    mask_ip,
    parse_ip,
)
from consentkit.http import EDGE_HEADERS, PROXY_HEADERS

TRUSTED = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]
HOUR = 3600.0


def _unmapped(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    mapped = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
    return mapped or addr


XFF, FWD = "x-forwarded-for", "forwarded"


@pytest.mark.parametrize(
    ("peer", "headers", "header", "expected"),
    [
        # an untrusted peer is the visitor, whatever it claims
        ("203.0.113.9", {XFF: "1.2.3.4"}, XFF, "203.0.113.9"),
        ("203.0.113.9", {FWD: "for=1.2.3.4"}, FWD, "203.0.113.9"),
        ("203.0.113.9", {"cf-connecting-ip": "1.2.3.4"}, "cf-connecting-ip", "203.0.113.9"),
        # the rightmost untrusted hop wins, never the spoofable leftmost one
        ("10.0.0.1", {XFF: "6.6.6.6, 1.2.3.4, 10.0.0.2"}, XFF, "1.2.3.4"),
        ("10.0.0.1", {XFF: "1.2.3.4"}, XFF, "1.2.3.4"),
        ("10.0.0.1", {XFF: "1.2.3.4:5678"}, XFF, "1.2.3.4"),
        ("10.0.0.1", {XFF: "[2001:db8::1]:443"}, XFF, "2001:db8::1"),
        ("10.0.0.1", {XFF: "2001:DB8:0::1"}, XFF, "2001:db8::1"),
        ("10.0.0.1", {XFF: "1.2.3.4, , "}, XFF, "1.2.3.4"),
        # garbage stops the walk at the nearest trusted hop
        ("10.0.0.1", {XFF: "1.2.3.4, garbage, 10.0.0.2"}, XFF, "10.0.0.2"),
        ("10.0.0.1", {XFF: "1.2.3.4, garbage"}, XFF, "10.0.0.1"),
        ("10.0.0.1", {XFF: "unknown"}, XFF, "10.0.0.1"),
        # no header: the trusted peer itself
        ("10.0.0.1", {}, XFF, "10.0.0.1"),
        ("10.0.0.1", {}, "x-real-ip", "10.0.0.1"),
        # RFC 7239
        ("10.0.0.1", {FWD: "for=192.0.2.60;proto=http;by=203.0.113.43"}, FWD, "192.0.2.60"),
        ("10.0.0.1", {FWD: 'For="[2001:db8:cafe::17]:4711"'}, FWD, "2001:db8:cafe::17"),
        ("10.0.0.1", {FWD: 'for="192.0.2.43:47011"'}, FWD, "192.0.2.43"),
        ("10.0.0.1", {FWD: "for=6.6.6.6, for=192.0.2.43, for=10.9.9.9"}, FWD, "192.0.2.43"),
        ("10.0.0.1", {FWD: "for=6.6.6.6, for=unknown"}, FWD, "10.0.0.1"),
        ("10.0.0.1", {FWD: "for=6.6.6.6, for=_hidden, for=10.9.9.9"}, FWD, "10.9.9.9"),
        ("10.0.0.1", {FWD: "for=6.6.6.6, proto=https"}, FWD, "10.0.0.1"),
        ("10.0.0.1", {FWD: 'for="6.6.6.6, for=1.2.3.4'}, FWD, "10.0.0.1"),
        ("10.0.0.1", {FWD: "proto=https"}, FWD, "10.0.0.1"),
        # only the configured header is read, whatever else the request carries
        ("10.0.0.1", {FWD: "for=6.6.6.6", XFF: "5.6.7.8"}, XFF, "5.6.7.8"),
        ("10.0.0.1", {FWD: "for=6.6.6.6"}, XFF, "10.0.0.1"),
        ("10.0.0.1", {FWD: "for=1.2.3.4", XFF: "6.6.6.6"}, FWD, "1.2.3.4"),
        ("10.0.0.1", {XFF: "6.6.6.6"}, FWD, "10.0.0.1"),
        ("10.0.0.1", {"cf-connecting-ip": "6.6.6.6", XFF: "5.6.7.8"}, XFF, "5.6.7.8"),
        ("10.0.0.1", {XFF: "1.2.3.4"}, None, "10.0.0.1"),
        # an edge header holds one address; a list means someone else sent one too
        ("10.0.0.1", {"cf-connecting-ip": "81.2.69.142", XFF: "6.6.6.6"}, "cf-connecting-ip", "81.2.69.142"),
        ("10.0.0.1", {"true-client-ip": "[2001:db8::1]:443"}, "true-client-ip", "2001:db8::1"),
        ("10.0.0.1", {"x-real-ip": " 81.2.69.142 "}, "x-real-ip", "81.2.69.142"),
        ("10.0.0.1", {"x-real-ip": "6.6.6.6, 81.2.69.142"}, "x-real-ip", "10.0.0.1"),
        ("10.0.0.1", {"fly-client-ip": "garbage"}, "fly-client-ip", "10.0.0.1"),
        # normalisation
        ("::ffff:10.0.0.1", {XFF: "::ffff:1.2.3.4"}, XFF, "1.2.3.4"),
        ("fd00::1", {XFF: "fe80::1%eth0"}, XFF, "fe80::1"),
        ("fe80::1%eth0", {}, XFF, "fe80::1"),
        ("203.0.113.9:54321", {}, XFF, "203.0.113.9"),
        ("unix:/run/app.sock", {}, XFF, None),
        # unusable peer
        (None, {XFF: "1.2.3.4"}, XFF, None),
        ("not-an-ip", {XFF: "1.2.3.4"}, XFF, None),
        ("", {}, XFF, None),
    ],
)
def test_client_ip(peer: str | None, headers: dict[str, str], header: str | None, expected: str | None) -> None:
    assert client_ip(peer, headers, TRUSTED, header) == expected


def test_client_ip_caps_hops() -> None:
    proxies = [f"10.0.0.{i}" for i in range(1, MAX_HOPS + 5)]
    chain = ", ".join(["1.2.3.4", *proxies])
    farthest_walked = proxies[-MAX_HOPS]
    assert client_ip("10.0.0.250", {XFF: chain}, TRUSTED) == farthest_walked


def test_client_ip_keeps_the_right_end_of_an_overlong_header() -> None:
    header = "9.9.9.9, " * 1000 + "1.2.3.4"
    assert client_ip("10.0.0.1", {XFF: header}, TRUSTED) == "1.2.3.4"
    forwarded = "for=9.9.9.9, " * 1000 + "for=1.2.3.4"
    assert client_ip("10.0.0.1", {FWD: forwarded}, TRUSTED, FWD) == "1.2.3.4"


def test_client_ip_nothing_trusted() -> None:
    assert client_ip("10.0.0.1", {XFF: "1.2.3.4"}, []) == "10.0.0.1"


def test_a_site_without_trusted_proxies_reads_no_header() -> None:
    assert ClientAddress([], XFF).header is None
    assert ClientAddress(TRUSTED, FWD).header == FWD


_HEADER_TEXT = st.text(max_size=300) | st.lists(
    st.one_of(st.ip_addresses().map(str), st.sampled_from(["unknown", "_x", "", " ", '"', "for=", ";", "[", "]:1"])),
    max_size=8,
).map(", ".join)
_ANY_HEADERS = st.fixed_dictionaries({}, optional={h: _HEADER_TEXT for h in PROXY_HEADERS})


@settings(max_examples=300, deadline=None)
@given(
    peer=st.one_of(st.none(), st.text(max_size=80), st.ip_addresses().map(str)),
    headers=_ANY_HEADERS,
    header=st.none() | st.sampled_from(PROXY_HEADERS),
)
def test_client_ip_never_raises_and_returns_an_address(
    peer: str | None, headers: dict[str, str], header: str | None
) -> None:
    found = client_ip(peer, headers, TRUSTED, header)
    if found is not None:
        assert str(ipaddress.ip_address(found)) == found


@settings(max_examples=300, deadline=None)
@given(
    peer=st.ip_addresses().filter(lambda a: not any(_unmapped(a) in n for n in TRUSTED)),
    headers=_ANY_HEADERS,
    header=st.none() | st.sampled_from(PROXY_HEADERS),
)
def test_an_untrusted_peer_is_the_visitor_whatever_it_sends(
    peer: ipaddress.IPv4Address | ipaddress.IPv6Address, headers: dict[str, str], header: str | None
) -> None:
    assert client_ip(str(peer), headers, TRUSTED, header) == str(_unmapped(peer))


@settings(max_examples=300, deadline=None)
@given(headers=_ANY_HEADERS, header=st.sampled_from(PROXY_HEADERS))
def test_only_the_configured_header_is_ever_read(headers: dict[str, str], header: str) -> None:
    only = {header: headers[header]} if header in headers else {}
    assert client_ip("10.0.0.1", headers, TRUSTED, header) == client_ip("10.0.0.1", only, TRUSTED, header)


@settings(max_examples=300, deadline=None)
@given(
    sent=st.text(max_size=200),
    visitor=st.ip_addresses(v=4).filter(lambda a: a not in TRUSTED[0]),
    proxies=st.lists(st.integers(1, 254).map(lambda i: f"10.1.1.{i}"), max_size=5),
)
def test_what_a_visitor_sends_ahead_of_the_proxies_is_never_returned(
    sent: str, visitor: ipaddress.IPv4Address, proxies: list[str]
) -> None:
    """A visitor's own X-Forwarded-For, whatever its bytes, stays left of the address its first
    trusted proxy appends: the walk stops there."""
    header = ", ".join([sent, str(visitor), *proxies]) if sent else ", ".join([str(visitor), *proxies])
    assert client_ip("10.0.0.1", {XFF: header}, TRUSTED) == str(visitor)


@settings(max_examples=300, deadline=None)
@given(
    sent=st.text(max_size=200),
    visitor=st.ip_addresses(v=4).filter(lambda a: a not in TRUSTED[0]),
    proxies=st.lists(st.integers(1, 254).map(lambda i: f"10.1.1.{i}"), max_size=5),
)
def test_a_visitors_own_forwarded_header_yields_its_address_or_a_proxys(
    sent: str, visitor: ipaddress.IPv4Address, proxies: list[str]
) -> None:
    """RFC 7239 quoting lets a visitor's malformed header swallow what proxies append (an open
    quote): the walk then ends at a trusted proxy, never at an address the visitor wrote."""
    appended = ", ".join(f"for={hop}" for hop in [str(visitor), *proxies])
    found = client_ip("10.0.0.1", {FWD: f"{sent}, {appended}" if sent else appended}, TRUSTED, FWD)
    assert found in {str(visitor), "10.0.0.1", *proxies}
    if '"' not in sent:
        assert found == str(visitor)


@settings(max_examples=300, deadline=None)
@given(
    spoofed=st.lists(st.ip_addresses().map(str), max_size=5),
    visitor=st.ip_addresses(v=4).filter(lambda a: a not in TRUSTED[0]),
    proxies=st.lists(st.integers(1, 254).map(lambda i: f"10.1.1.{i}"), max_size=5),
)
def test_client_ip_ignores_everything_left_of_the_visitor(
    spoofed: list[str], visitor: ipaddress.IPv4Address, proxies: list[str]
) -> None:
    header = ", ".join([*spoofed, str(visitor), *proxies])
    assert client_ip("10.0.0.1", {XFF: header}, TRUSTED) == str(visitor)


@settings(max_examples=300, deadline=None)
@given(sent=st.text(max_size=60), edge=st.sampled_from(EDGE_HEADERS), visitor=st.ip_addresses())
def test_an_edge_header_is_the_edges_address_or_none(
    sent: str, edge: str, visitor: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> None:
    """An edge replaces the header with the address it saw; if the visitor's own copy got through
    too (a repeated header, joined with a comma), neither is believed."""
    assert client_ip("10.0.0.1", {edge: str(visitor)}, TRUSTED, edge) == str(_unmapped(visitor))
    both = client_ip("10.0.0.1", {edge: f"{sent}, {visitor}"}, TRUSTED, edge)
    assert both == "10.0.0.1"


def _forwarded_node(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int | None) -> str:
    host = f"[{addr}]" if addr.version == 6 else str(addr)
    return f'for="{host}:{port}"' if port is not None else f'for="{host}"'


@settings(max_examples=200, deadline=None)
@given(
    spoofed=st.lists(st.ip_addresses(), max_size=4),
    visitor=st.ip_addresses().map(_unmapped).filter(lambda a: not any(a in network for network in TRUSTED)),
    proxies=st.lists(st.integers(1, 2**16 - 1).map(lambda i: ipaddress.ip_address(f"fd00::{i:x}")), max_size=4),
    port=st.none() | st.integers(1, 65535),
)
def test_forwarded_ignores_everything_left_of_the_visitor(
    spoofed: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
    visitor: ipaddress.IPv4Address | ipaddress.IPv6Address,
    proxies: list[ipaddress.IPv6Address],
    port: int | None,
) -> None:
    header = ", ".join(_forwarded_node(addr, port) + ";proto=https" for addr in [*spoofed, visitor, *proxies])
    headers = {"forwarded": header, "x-forwarded-for": "6.6.6.6"}
    assert client_ip("10.0.0.1", headers, TRUSTED, "forwarded") == str(visitor)


@pytest.mark.parametrize(
    ("ip", "mode", "expected"),
    [
        ("81.2.69.142", "full", "81.2.69.142"),
        ("81.2.69.142", "truncated", "81.2.69.0"),
        ("2001:db8:1:2:3::1", "truncated", "2001:db8:1::"),
        ("::ffff:81.2.69.142", "truncated", "81.2.69.0"),
        ("::ffff:81.2.69.142", "full", "81.2.69.142"),
        ("2001:0DB8::0001", "full", "2001:db8::1"),
        ("81.2.69.142", "none", None),
        ("garbage", "full", None),
        ("garbage", "truncated", None),
    ],
)
def test_mask_ip(ip: str, mode: str, expected: str | None) -> None:
    assert mask_ip(ip, mode, salt=b"s") == expected  # type: ignore[arg-type]


def test_mask_ip_hash_is_keyed_and_canonical() -> None:
    first = mask_ip("81.2.69.142", "hash", salt=b"one")
    assert first is not None and len(first) == HASH_HEX_CHARS
    int(first, 16)
    assert mask_ip("::ffff:81.2.69.142", "hash", salt=b"one") == first
    assert mask_ip("81.2.69.142", "hash", salt=b"two") != first
    assert mask_ip("81.2.69.143", "hash", salt=b"one") != first


def test_mask_ip_rejects_configuration_mistakes() -> None:
    with pytest.raises(ValueError, match="salt"):
        mask_ip("81.2.69.142", "hash")
    with pytest.raises(ValueError):
        mask_ip("81.2.69.142", "truncated", v4_prefix=33)
    with pytest.raises(ValueError):
        mask_ip("81.2.69.142", "scramble")  # type: ignore[arg-type]


def test_mask_ip_custom_prefixes() -> None:
    assert mask_ip("81.2.69.142", "truncated", v4_prefix=16) == "81.2.0.0"
    assert mask_ip("2001:db8:1:2::1", "truncated", v6_prefix=32) == "2001:db8::"


@settings(max_examples=200, deadline=None)
@given(addr=st.ip_addresses(), v4_prefix=st.integers(0, 32), v6_prefix=st.integers(0, 128))
def test_truncated_ip_lies_within_the_original_network(
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address, v4_prefix: int, v6_prefix: int
) -> None:
    masked = mask_ip(str(addr), "truncated", v4_prefix, v6_prefix)
    assert masked is not None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    prefix = v4_prefix if addr.version == 4 else v6_prefix
    network = ipaddress.ip_network((addr, prefix), strict=False)
    assert ipaddress.ip_address(masked) == network.network_address
    assert addr in network


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=100), mode=st.sampled_from(["full", "truncated", "hash", "none"]))
def test_mask_ip_never_raises_on_text(text: str, mode: str) -> None:
    masked = mask_ip(text, mode, salt=b"s")  # type: ignore[arg-type]
    if mode == "none":
        assert masked is None
    elif masked is not None and mode != "hash":
        ipaddress.ip_address(masked)


def _edges() -> list[int | tuple[int, int]]:
    out: list[int | tuple[int, int]] = []
    for version, cls in ((4, ipaddress.IPv4Address), (6, ipaddress.IPv6Address)):
        consts = cls._constants  # type: ignore[attr-defined]
        nets = [*consts._private_networks, getattr(consts, "_public_network", None)]
        for net in filter(None, nets):
            for n in (int(net.network_address), int(net.broadcast_address)):
                out += [(version, n + d) for d in (-1, 0, 1) if 0 <= n + d < 2 ** (32 if version == 4 else 128)]
    return out


@given(st.one_of(st.integers(0, 2**32 - 1).map(lambda n: (4, n)), st.integers(0, 2**128 - 1).map(lambda n: (6, n)),
                 st.sampled_from(_edges())))
@settings(max_examples=500)
def test_is_global_agrees_with_ipaddress(case: tuple[int, int]) -> None:
    from consentkit.collect.publicip import is_global

    version, n = case
    addr = ipaddress.IPv4Address(n) if version == 4 else ipaddress.IPv6Address(n)
    if version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # callers unwrap these first
    assert is_global(addr) == addr.is_global


def test_is_global_examples() -> None:
    from consentkit.collect.publicip import is_global

    assert is_global(ipaddress.ip_address("81.2.69.142")) and is_global(ipaddress.ip_address("2a02:8070::1"))
    for private in ("10.1.2.3", "100.64.0.1", "192.168.0.1", "127.0.0.1", "::1", "fd00::1", "2001:db8::1"):
        assert not is_global(ipaddress.ip_address(private)), private


def _stdlib(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text.partition("%")[0] if ":" in text else text)
    except ValueError:
        return None
    return addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped else addr


_ADDRESS_TEXT = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
    st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n))),
    st.integers(0, 2**128 - 1).map(lambda n: ipaddress.IPv6Address(n).exploded),
    st.integers(0, 2**32 - 1).map(lambda n: f"::ffff:{ipaddress.IPv4Address(n)}"),
    st.text(alphabet="0123456789abcdefABCDEF:.%x ", max_size=45),
)


@given(_ADDRESS_TEXT)
@settings(max_examples=1000)
def test_the_fast_parser_agrees_with_ipaddress(text: str) -> None:
    assert parse_ip(text) == _stdlib(text)


@given(key=st.binary(max_size=100), message=st.binary(max_size=64))
def test_keyed_hash_is_hmac_sha256(key: bytes, message: bytes) -> None:
    """The precomputed inner/outer states give exactly HMAC-SHA256, for keys longer than a block too."""
    assert keyed_hash(key, message) == hmac.digest(key, message, hashlib.sha256)
    assert keyed_hash(key, message) == hmac.digest(key, message, hashlib.sha256)  # from the kept states

"""The visitor's IP address: finding it behind trusted proxies, and masking it before it is stored.

One forwarding header, named by configuration (`proxy_headers`), is believed, and only when the
socket peer is a proxy we trust; then only up to the first hop we do not trust: everything to the
left of that hop could have been written by the visitor. Which header is believed never depends on
what the request carries, or a visitor could send the one that wins.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from consentkit.keyedhash import KeyedHash

if TYPE_CHECKING:
    from consentkit.http import RequestView

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MaskMode = Literal["full", "truncated", "hash", "none"]

MAX_HEADER = 2048
MAX_HOPS = 32
MAX_NODE = 64
HASH_HEX_CHARS = 32

# Quoted strings may lack their closing quote, so the scan stays linear on hostile input.
_FORWARDED_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[^",;]+|[,;]')
_QUOTED_PAIR = re.compile(r"\\(.)")


@lru_cache(maxsize=4096)
def parse_ip(text: str) -> IPAddress | None:
    """Cached: proxies and returning visitors send the same few addresses over and over."""
    if ":" in text:
        text = text.partition("%")[0]
        family = socket.AF_INET6
    else:
        family = socket.AF_INET
    # inet_pton is strict (no leading zeros, no short forms) and far quicker than ipaddress's
    # parser; only what it rejects goes on to ipaddress, which decides.
    try:
        packed = socket.inet_pton(family, text)
        addr: IPAddress = ipaddress.IPv4Address(packed) if len(packed) == 4 else ipaddress.IPv6Address(packed)
    except (OSError, ValueError):
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@lru_cache(maxsize=4096)
def address_text(addr: IPAddress) -> str:
    """The compressed canonical form; formatting an IPv6 address is as slow as parsing one."""
    return str(addr)


def _parse_node(node: str) -> IPAddress | None:
    """An address from "1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:80" or a bare IPv6 address."""
    node = node.strip()
    if not node or len(node) > MAX_NODE:
        return None
    if node[0] == "[":
        host, closed, _ = node[1:].partition("]")
        return parse_ip(host) if closed else None
    if node.count(":") == 1:
        node = node.partition(":")[0]
    return parse_ip(node)


def _tail(value: str) -> str:
    """The rightmost part of an over-long header, starting at a list-element boundary."""
    if len(value) <= MAX_HEADER:
        return value
    return value[-MAX_HEADER:].partition(",")[2]


def _forwarded_for(pair: str) -> str | None:
    name, _, value = pair.partition("=")
    if name.strip().lower() != "for":
        return None
    value = value.strip()
    if value.startswith('"'):
        value = _QUOTED_PAIR.sub(r"\1", value[1:].removesuffix('"'))
    return value


def _forwarded_nodes(header: str) -> list[str | None]:
    """The for= node of each RFC 7239 element, left to right; None where an element has none."""
    nodes: list[str | None] = []
    node: str | None = None
    pair = ""
    blank = True
    for token in [*_FORWARDED_TOKEN.findall(header), ","]:
        if token in (",", ";"):
            if node is None:
                node = _forwarded_for(pair)
            pair = ""
            if token == ",":
                if not blank:
                    nodes.append(node)
                node, blank = None, True
        else:
            pair += token
            blank = blank and not token.strip()
    return nodes


def _hops(headers: Mapping[str, str], header: str | None) -> list[str | None]:
    """The hops `header` lists, nearest (rightmost) first, at most MAX_HOPS of them."""
    value = headers.get(header, "") if header is not None else ""
    if not value:
        return []
    if header == "x-forwarded-for":
        entries = _tail(value).split(",")
        hops: list[str | None] = [entry for entry in reversed(entries) if entry.strip()]
        return hops[:MAX_HOPS]
    if header == "forwarded":
        return _forwarded_nodes(_tail(value))[::-1][:MAX_HOPS]
    # An edge header holds the one address the edge saw; a list means it was also sent by someone
    # else (a repeated header), and nobody can tell which one the edge wrote.
    return [None if "," in value else value]


def _is_trusted(addr: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(addr in network for network in trusted)


def client_ip(
    peer: str | None, headers: Mapping[str, str], trusted: Sequence[IPNetwork], header: str | None = "x-forwarded-for"
) -> str | None:
    """The visitor's address: the rightmost hop not in `trusted`, walking left from the socket peer.

    Only `header` is read ("x-forwarded-for", "forwarded" or an edge header of one address; None
    reads none), and only while the hop it came from is trusted. A hop that is not an address
    ("unknown", an obfuscated name, garbage) ends the walk at the nearest trusted hop, so a spoofed
    value to its left can never be returned.
    """
    current = _parse_node(peer) if peer is not None else None
    if current is None:
        return None
    if not _is_trusted(current, trusted):
        return address_text(current)
    for node in _hops(headers, header):
        addr = _parse_node(node) if node is not None else None
        if addr is None:
            break
        current = addr
        if not _is_trusted(addr, trusted):
            break
    return address_text(current)


class ClientAddress:
    """A site's `client_ip`: its trusted proxies and the one header it believes, set at start-up."""

    __slots__ = ("header", "trusted")

    def __init__(self, trusted: Sequence[IPNetwork], header: str | None) -> None:
        self.trusted = tuple(trusted)
        self.header = header if trusted else None
        """The header read, or None when no peer is trusted (then none is)."""

    def of(self, request: RequestView) -> str | None:
        return client_ip(request.client, request.headers, self.trusted, self.header)

    def from_trusted_peer(self, request: RequestView) -> bool:
        """Whether the socket peer is one of the site's proxies (whose other headers, such as an
        edge network's location, may then be believed)."""
        peer = _parse_node(request.client) if self.trusted and request.client is not None else None
        return peer is not None and _is_trusted(peer, self.trusted)


def mask_ip(ip: str, mode: MaskMode, v4_prefix: int = 24, v6_prefix: int = 48, salt: bytes | None = None) -> str | None:
    """The form of `ip` that may be stored: as is, its network, a keyed hash, or nothing.

    Returns None for an unparsable address. Raises ValueError for a bad mode or prefix, or a
    hash without salt: those are configuration mistakes, not visitor input.
    """
    if mode == "none":
        return None
    addr = parse_ip(ip.strip()) if len(ip) <= MAX_NODE else None
    if mode == "full":
        return None if addr is None else address_text(addr)
    if mode == "truncated":
        if addr is None:
            return None
        prefix = v4_prefix if addr.version == 4 else v6_prefix
        if not 0 <= prefix <= addr.max_prefixlen:
            raise ValueError(f"prefix {prefix} outside 0..{addr.max_prefixlen}")
        host_bits = addr.max_prefixlen - prefix
        return str(type(addr)(int(addr) >> host_bits << host_bits))
    if mode == "hash":
        if salt is None:
            raise ValueError("mask_ip(mode='hash') needs a salt")
        if addr is None:
            return None
        return keyed_hash(salt, address_text(addr).encode("ascii")).hex()[:HASH_HEX_CHARS]
    raise ValueError(f"unknown IP mask mode {mode!r}")


@lru_cache(maxsize=8)  # salts rotate daily; a few are live at once
def _keyed(key: bytes) -> KeyedHash:
    return KeyedHash(key)


def keyed_hash(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 under a salt, set up once per salt."""
    return _keyed(key).digest(message)

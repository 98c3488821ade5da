"""The visitor's IP address: finding it behind trusted proxies, and masking it before it is stored.

One forwarding header, named by configuration (`proxy_headers`), is believed, and only when the
socket peer is a proxy we trust; then only up to the first hop we do not trust: everything to the
left of that hop could have been written by the visitor. Which header is believed never depends on
what the request carries, or a visitor could send the one that wins.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Protocol

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
SALT_BYTES = 32
ROTATE_AFTER = 24 * 3600.0
KEEP_PREVIOUS_FOR = 48 * 3600.0
SAME_ROTATION_WINDOW = 3600.0

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


_KEYED: dict[bytes, KeyedHash] = {}


def keyed_hash(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256, from the key's states kept: a new visitor's address then costs two short hashes."""
    keyed = _KEYED.get(key)
    if keyed is None:
        if len(_KEYED) >= 8:  # salts rotate daily; a few are live at once
            _KEYED.clear()
        keyed = _KEYED[key] = KeyedHash(key)
    return keyed.digest(message)


class SaltStore(Protocol):
    """Where the salts of one site live, shared by all of its processes."""

    def load_salts(self) -> list[tuple[float, bytes]]: ...

    def add_salt(self, created_at: float, salt: bytes) -> None: ...

    def delete_salts_before(self, created_at: float) -> None: ...


class MemorySaltStore:
    """A SaltStore for one process: tests, and sites without shared storage."""

    def __init__(self) -> None:
        self._salts: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()

    def load_salts(self) -> list[tuple[float, bytes]]:
        with self._lock:
            return list(self._salts)

    def add_salt(self, created_at: float, salt: bytes) -> None:
        with self._lock:
            self._salts.append((created_at, salt))

    def delete_salts_before(self, created_at: float) -> None:
        with self._lock:
            self._salts = [entry for entry in self._salts if entry[0] >= created_at]


def _rotations(salts: list[tuple[float, bytes]]) -> list[tuple[float, bytes]]:
    """The salt that started each rotation, oldest first.

    Processes that rotate at the same moment each add a salt; every process picks the earliest of
    such a cluster, so they agree without any locking in the store.
    """
    starts: list[tuple[float, bytes]] = []
    for created_at, salt in sorted(salts):
        if not starts or created_at - starts[-1][0] >= SAME_ROTATION_WINDOW:
            starts.append((created_at, salt))
    return starts


class DailySalt:
    """A random salt for keyed IP hashes, replaced every day so hashes cannot be linked across days.

    Salts are random, never derived from the date, so a stored hash cannot be recomputed once its
    salt is gone. A replaced salt is deleted 48 h after it stopped being current; the store is only
    touched when the cached salt is due for rotation, which is also when old salts are deleted.
    """

    def __init__(self, store: SaltStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[bytes, float] | None = None

    def current(self) -> bytes:
        cached = self._cached
        if cached is not None and self._clock() < cached[1]:
            return cached[0]
        with self._lock:
            now = self._clock()
            cached = self._cached
            if cached is None or now >= cached[1]:
                created_at, salt = self._rotate(now)
                cached = (salt, created_at + ROTATE_AFTER)
                self._cached = cached
            return cached[0]

    def _rotate(self, now: float) -> tuple[float, bytes]:
        rotations = _rotations(self._store.load_salts())
        if not rotations or now - rotations[-1][0] >= ROTATE_AFTER:
            fresh = (now, secrets.token_bytes(SALT_BYTES))
            self._store.add_salt(*fresh)
            rotations = _rotations(self._store.load_salts())
            if not rotations or now - rotations[-1][0] >= ROTATE_AFTER:
                rotations.append(fresh)
        self._delete_expired(rotations, now)
        return rotations[-1]

    def _delete_expired(self, rotations: list[tuple[float, bytes]], now: float) -> None:
        keep_from = len(rotations) - 1
        for index in range(len(rotations) - 1):
            stopped_at = min(rotations[index + 1][0], rotations[index][0] + ROTATE_AFTER)
            if now - stopped_at < KEEP_PREVIOUS_FOR:
                keep_from = index
                break
        if keep_from > 0:
            self._store.delete_salts_before(rotations[keep_from][0])

"""Whether an address is global (public), as `ipaddress` decides it, in one bisect.

`ipaddress`'s `is_global` tests the address against each special-purpose network in turn: about
10 µs for an address it has not seen, which is every new visitor's. The same networks, read from
`ipaddress` itself so both always agree, become sorted integer intervals here.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

from consentkit.collect.ip import IPAddress

Intervals = tuple[list[int], list[int]]


def _intervals(networks: Iterable[Any]) -> Intervals:
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in networks)
    starts: list[int] = []
    ends: list[int] = []
    for lo, hi in spans:
        if starts and lo <= ends[-1] + 1:
            ends[-1] = max(ends[-1], hi)
        else:
            starts.append(lo)
            ends.append(hi)
    return starts, ends


def _inside(table: Intervals, n: int) -> bool:
    i = bisect_right(table[0], n) - 1
    return i >= 0 and n <= table[1][i]


def _tables(cls: Any) -> tuple[Intervals, Intervals, Intervals] | None:
    """(shared, private, exceptions to private) for an address class; None if `ipaddress` changed shape."""
    consts = getattr(cls, "_constants", None)
    private = getattr(consts, "_private_networks", None)
    if private is None:
        return None
    shared = getattr(consts, "_public_network", None) if cls is ipaddress.IPv4Address else None
    exceptions = getattr(consts, "_private_networks_exceptions", [])
    return _intervals([shared] if shared is not None else []), _intervals(private), _intervals(exceptions)


_TABLES = {4: _tables(ipaddress.IPv4Address), 6: _tables(ipaddress.IPv6Address)}


def is_global(addr: IPAddress) -> bool:
    """`addr.is_global` for an address that is not IPv4-mapped (unwrap those first)."""
    tables = _TABLES[addr.version]
    if tables is None:
        return addr.is_global
    shared, private, exceptions = tables
    n = int(addr)
    return not _inside(shared, n) and (not _inside(private, n) or _inside(exceptions, n))

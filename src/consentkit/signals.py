"""Do-Not-Track and Global Privacy Control, read from request headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signals:
    dnt: bool = False
    gpc: bool = False

    @property
    def any(self) -> bool:
        return self.dnt or self.gpc

    def as_dict(self) -> dict[str, bool]:
        return {"dnt": self.dnt, "gpc": self.gpc}


NO_SIGNALS = Signals()
_ALL = {(False, False): NO_SIGNALS, (True, False): Signals(True, False),
        (False, True): Signals(False, True), (True, True): Signals(True, True)}


def read_signals(headers: Mapping[str, str]) -> Signals:
    """`DNT: 1` and `Sec-GPC: 1`; any other value (or garbage) means the signal is absent.

    A header sent twice reaches consentkit joined with commas ("1, 1"): it is on when any of its
    values is 1, as the browser that sent it meant.
    """
    dnt, gpc = headers.get("dnt"), headers.get("sec-gpc")
    if dnt is None and gpc is None:  # most requests send neither
        return NO_SIGNALS
    return _ALL[(_on(dnt), _on(gpc))]


def _on(value: str | None) -> bool:
    if value is None:
        return False
    if value == "1":  # nearly always, when there is a value at all
        return True
    return "1" in value and any(v.strip() == "1" for v in value.split(","))

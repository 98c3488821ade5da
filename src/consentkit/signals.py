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
    """`DNT: 1` and `Sec-GPC: 1`; any other value (or garbage) means the signal is absent."""
    dnt = headers.get("dnt")
    gpc = headers.get("sec-gpc")
    return _ALL[(dnt is not None and dnt.strip() == "1", gpc is not None and gpc.strip() == "1")]

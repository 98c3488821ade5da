"""Which field groups may be collected for a request: the one answer collection and chat share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consentkit.signals import Signals


class GroupsInEffect:
    """Field groups whose owning category is in effect; none at all under DNT / GPC (only the
    anonymous aggregate is counted then), unless a confirmed explicit opt-in overrides the signal."""

    def __init__(self, owners: Mapping[Any, str], explicit_optin_overrides: bool) -> None:
        self.owners = dict(owners)
        self.overrides = explicit_optin_overrides
        self._cache: dict[frozenset[str], frozenset[str]] = {}

    def of(self, effective: frozenset[str], signals: Signals, choice_made: bool) -> frozenset[str]:
        if signals.any and not (self.overrides and choice_made):
            return frozenset()
        hit = self._cache.get(effective)
        if hit is None:
            hit = frozenset(g for g, cat in self.owners.items() if cat in effective)
            if len(self._cache) < 256:  # effective sets take few distinct values
                self._cache[effective] = hit
        return hit

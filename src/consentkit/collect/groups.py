"""Which field groups may be collected for a request: the one answer collection and chat share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consentkit.consent import ConsentState


class GroupsInEffect:
    """Field groups whose owning category is in effect; none at all under DNT / GPC (only the
    anonymous aggregate is counted then), unless a confirmed explicit opt-in overrides the signal."""

    def __init__(self, owners: Mapping[Any, str], explicit_optin_overrides: bool) -> None:
        self.owners = dict(owners)
        self.overrides = explicit_optin_overrides
        self._cache: dict[frozenset[str], frozenset[str]] = {}

    def __call__(self, state: ConsentState) -> frozenset[str]:
        if state.signals.any and not (self.overrides and state.choice_made):
            return frozenset()
        eff = state._effective.categories
        hit = self._cache.get(eff)
        if hit is None:
            hit = frozenset(g for g, cat in self.owners.items() if cat in eff)
            if len(self._cache) < 256:  # effective sets take few distinct values
                self._cache[eff] = hit
        return hit

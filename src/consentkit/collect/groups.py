"""Which field groups may be collected for a request: the one answer collection and chat share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consentkit.policy import Effective


class GroupsInEffect:
    """Field groups whose owning category is in effect; none at all when the decision keeps nothing
    per visitor (`Effective.per_visitor`: a DNT or GPC signal without an opt-in that stands)."""

    def __init__(self, owners: Mapping[Any, str]) -> None:
        self.owners = dict(owners)

    def of(self, effective: Effective) -> frozenset[str]:
        # Asked once per cached cookie decision (`CookieDecision`), so not cached here.
        if not effective.per_visitor:
            return frozenset()
        return frozenset(g for g, cat in self.owners.items() if cat in effective.categories)

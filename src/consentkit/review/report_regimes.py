"""The report's consent figures per regional regime, from the `consent.regimes` counters
(`POLICY|REGIME|WHAT`), all policy versions together. A site without `regions` has none."""

from __future__ import annotations

from dataclasses import dataclass

from consentkit.consent_counters import OUTCOMES

OTHER_REGIMES = "(other)"


@dataclass(frozen=True, slots=True)
class RegimeConsent:
    regime: str
    impressions: int
    choices: int
    outcomes: dict[str, int]
    """accept_all, reject_all, custom → choices."""
    pages: int
    gpc: int
    """Counted page views, and those sent with GPC."""

    def share(self, outcome: str) -> float | None:
        return self.outcomes.get(outcome, 0) / self.choices if self.choices else None

    @property
    def gpc_share(self) -> float | None:
        return self.gpc / self.pages if self.pages else None


def by_regime(counts: dict[str, int], k: int) -> tuple[tuple[RegimeConsent, ...], RegimeConsent | None]:
    """Regimes with at least `k` choices, by name, and the others folded together (the report's
    small-number rule, as for policy versions). `counts`: `consent.regimes` key → count."""
    per: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        parts = key.split("|")
        if len(parts) != 3:
            continue
        tallies = per.setdefault(parts[1], {})
        tallies[parts[2]] = tallies.get(parts[2], 0) + n
    made = [_one(name, tallies) for name, tallies in sorted(per.items())]
    shown = tuple(r for r in made if r.choices >= k)
    small = [r for r in made if r.choices < k]
    if not small:
        return shown, None
    folded: dict[str, int] = {}
    for r in small:
        for event, n in (("impression", r.impressions), ("pages", r.pages), ("gpc", r.gpc), *r.outcomes.items()):
            folded[event] = folded.get(event, 0) + n
    return shown, _one(OTHER_REGIMES, folded)


def _one(name: str, what: dict[str, int]) -> RegimeConsent:
    outcomes = {o: what[o] for o in OUTCOMES if what.get(o)}
    return RegimeConsent(name, what.get("impression", 0), sum(outcomes.values()), outcomes, what.get("pages", 0),
                         what.get("gpc", 0))

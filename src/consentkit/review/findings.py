"""What `audit` reports: findings, counted in full and listed up to a bound, so that a store with
millions of bad rows costs no more memory than one with a few."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHECKS: dict[str, str] = {
    "consent": "each event's consent id has a ledger record in effect at its time, of the same policy version",
    "categories": "each non-empty field group of an event belongs to a category its consent granted and that was "
                  "in effect (not denied by a signal) when it was collected",
    "erasure": "nothing of an erased subject remains from before its tombstone",
    "retention": "nothing is older than its category's retention",
    "ledger": "the ledger chain verifies, and still holds the head the last audit recorded",
    "cookies": "no undeclared cookie was seen since the last audit",
    "access": "the review console's access log chain verifies",
}
"""Every check, in the order the audit runs them, with what it asserts."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing stored that does not match the consent it claims (or a broken proof)."""

    check: str
    """A key of `CHECKS`."""
    subject: str
    """What it is about: ``event 17``, ``ledger record 4``, ``tombstone 2``, ``cookie _fbp``."""
    detail: str
    count: int = 1
    """How many rows this one finding stands for (a retention finding counts its events)."""

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "subject": self.subject, "detail": self.detail, "count": self.count}


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    description: str
    checked: int
    """Rows (events, records, tombstones, cookies) the check looked at."""
    findings: int
    """Rows found wrong, all of them, also beyond those listed."""

    @property
    def ok(self) -> bool:
        return self.findings == 0

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "description": self.description, "checked": self.checked,
                "findings": self.findings, "ok": self.ok}


@dataclass(slots=True)
class FindingLog:
    """Collects findings: every one counted, at most `listed` of each check kept."""

    listed: int = 100
    checked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKS, 0))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKS, 0))
    kept: list[Finding] = field(default_factory=list)
    _kept_per_check: dict[str, int] = field(default_factory=dict)

    def add(self, check: str, subject: str, detail: str, count: int = 1) -> None:
        if check not in CHECKS:
            raise ValueError(f"unknown check {check!r}")
        self.counts[check] += count
        n = self._kept_per_check.get(check, 0)
        if n < self.listed:
            self._kept_per_check[check] = n + 1
            self.kept.append(Finding(check, subject, detail, count))

    def saw(self, check: str, n: int = 1) -> None:
        self.checked[check] += n

    def results(self) -> tuple[CheckResult, ...]:
        return tuple(CheckResult(c, d, self.checked[c], self.counts[c]) for c, d in CHECKS.items())

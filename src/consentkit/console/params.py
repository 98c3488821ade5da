"""Query parameters and form fields, read defensively: whatever a URL carries, a page gets a value
in range and, for what it could not use, a notice saying so and what it used instead. Nothing here
raises on bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from consentkit.storage.rollups import day_name, day_of

MAX_TEXT = 200
"""Longest id, path or other free text a filter takes (longer is cut, with a notice)."""
FIRST_DAY = 0  # 1970-01-01
LAST_DAY = 2932896  # 9999-12-31


@dataclass
class Params:
    """The page's query (or form) with the console's texts, collecting notices as it reads."""

    values: Mapping[str, str]
    texts: Mapping[str, str]
    notices: list[str] = field(default_factory=list)

    def bad(self, name: str, raw: str, fallback: str) -> None:
        shown = raw if len(raw) <= 40 else raw[:39] + "…"
        self.notices.append(self.texts["bad_value"].format(field=name, value=_printable(shown), fallback=fallback))

    def text(self, name: str, limit: int = MAX_TEXT) -> str | None:
        """The stripped value, None when absent or empty; cut to `limit` characters."""
        raw = self.values.get(name, "")
        value = _printable(raw).strip()
        if not value:
            return None
        if len(value) > limit:
            self.bad(name, raw, value[:limit])
            value = value[:limit]
        return value

    def choice(self, name: str, options: Sequence[str], default: str | None = None) -> str | None:
        raw = self.values.get(name, "")
        if raw == "" or raw in options:
            return raw or default
        self.bad(name, raw, default or self.texts["any"])
        return default

    def number(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.values.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw) if raw.isascii() and len(raw) <= 20 else None
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            self.bad(name, raw, str(default))
            return default
        return value

    def day(self, name: str, default: int) -> int:
        """A UTC date (YYYY-MM-DD) as days since the epoch."""
        raw = self.values.get(name, "").strip()
        if not raw:
            return default
        try:
            value = (dt.date.fromisoformat(raw) - dt.date(1970, 1, 1)).days if len(raw) == 10 else None
        except ValueError:
            value = None
        if value is None or not FIRST_DAY <= value <= LAST_DAY:
            self.bad(name, raw, day_name(default))
            return default
        return value

    def period(self, now: float, default_days: int, max_days: int) -> tuple[int, int]:
        """`from` and `to` (both included, UTC dates): by default the `default_days` complete days
        up to yesterday (whose rollups are built; today, read from the events, is there when asked
        for); never longer than `max_days`, never ending before it starts."""
        last = self.day("to", day_of(now) - 1)
        first = self.day("from", max(FIRST_DAY, last - default_days + 1))
        if first > last:
            self.bad("from", day_name(first), day_name(last))
            first = last
        if last - first + 1 > max_days:
            self.notices.append(self.texts["too_long"].format(days=max_days))
            first = last - max_days + 1
        return first, last


def _printable(text: str) -> str:
    """Control characters and lone surrogates out: they have no business in an id or a path filter."""
    return "".join(ch for ch in text if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)

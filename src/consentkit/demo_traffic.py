"""A month of made-up traffic for the demo, so that its console opens on something to look at.

Written through the store's own API as the middleware would have written it: a ledger record for
each visitor who chose (before their first page view), per-visitor events only for visitors who
allowed analytics, the anonymous daily counters (page views, banner impressions, choices, opt-ins,
DNT and GPC) for everyone, measured or not, then the daily rollups. `consentkit audit` passes on it.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Sequence
from typing import Any

from consentkit.config import ConsentConfig
from consentkit.ledger import LedgerDraft, shown_hash
from consentkit.review.rollup import rebuild_rollups
from consentkit.storage.base import Store
from consentkit.storage.rollups import DAY_S, day_name
from consentkit.storage.schema import EVENT_FIELDS

BROWSERS = (("Chrome", 46), ("Safari", 24), ("Firefox", 12), ("Edge", 10), ("Samsung Internet", 5), ("Opera", 3))
SYSTEMS = {"Safari": ("iOS", "Mac OS X"), "Samsung Internet": ("Android",)}
DEVICES = (("desktop", 55), ("mobile", 40), ("tablet", 5))
COUNTRIES = (("DE", 30), ("FR", 15), ("NL", 12), ("GB", 10), ("US", 9), ("AT", 7), ("IT", 6), ("ES", 6), ("SE", 5))
REFERRERS = ((None, "direct", 45), ("www.google.com", "search", 30), ("duckduckgo.com", "search", 6),
             ("news.ycombinator.com", "social", 5), ("teablog.example", "website", 6), (None, "campaign", 8))


def _pick(rnd: random.Random, weighted: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rnd.choices(weighted, weights=[w[-1] for w in weighted])[0]


def seed_month(store: Store, config: ConsentConfig, paths: Sequence[str], *, now: float, days: int = 30,
               visitors: int = 600, seed: int = 7) -> int:
    """Write `days` days of traffic ending yesterday (UTC); returns the number of events."""
    rnd = random.Random(seed)
    first_day = int(now // DAY_S) - days
    optional = sorted(config.optional)
    shown = shown_hash(config.policy_version, sorted(config.category_keys), "demo texts", "en")
    events: list[dict[str, Any]] = []
    counts: dict[tuple[str, str, str], int] = {}

    def count(day: str, metric: str, key: str, n: int = 1) -> None:
        counts[(day, metric, key)] = counts.get((day, metric, key), 0) + n

    for _ in range(visitors):
        day = first_day + rnd.randrange(days)
        start = day * DAY_S + rnd.uniform(6, 22) * 3600
        granted = optional if rnd.random() < 0.55 else [c for c in optional if rnd.random() < 0.5]
        consent_id, visitor_id = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        store.append_ledger(LedgerDraft(
            start - 5, consent_id, tuple(granted), tuple(c for c in optional if c not in granted),
            config.policy_version, shown, False, False, "banner", f"81.2.{rnd.randrange(256)}.0",
            hashlib.sha256(visitor_id.encode()).hexdigest()[:32]))
        outcome = "accept_all" if granted == optional else ("reject_all" if not granted else "custom")
        count(day_name(day), "consent.choices", f"{config.policy_version}|{outcome}")
        for category in granted:
            count(day_name(day), "consent.optins", f"{config.policy_version}|{category}")
        if "analytics" not in granted:
            continue
        browser = _pick(rnd, BROWSERS)[0]
        system = rnd.choice(SYSTEMS.get(browser, ("Windows", "Mac OS X", "Android", "Linux")))
        device, country = _pick(rnd, DEVICES)[0], _pick(rnd, COUNTRIES)[0]
        ts = start
        for _visit in range(1 + int(rnd.expovariate(0.6))):
            if ts >= now - (now % DAY_S):
                break
            host, klass, _ = _pick(rnd, REFERRERS)
            session = secrets.token_urlsafe(16)
            for view in range(1 + int(rnd.expovariate(0.5))):
                e: dict[str, Any] = dict.fromkeys(EVENT_FIELDS)
                e.update(ts=ts, kind="pageview", method="GET", host="127.0.0.1", path=rnd.choice(paths), status=200,
                         duration_ms=round(rnd.uniform(4, 60), 1), browser=browser, os=system, device=device,
                         country=country, language="en", visitor_id=visitor_id, session_id=session,
                         consent_id=consent_id, policy_version=config.policy_version, is_bot=False, truncated=False,
                         basis=",".join(sorted({*granted, *config.required})), ip=f"81.2.{rnd.randrange(256)}.0")
                if view == 0:
                    e.update(referrer_host=host, referrer_class=klass)
                    if klass == "campaign":
                        e.update(utm_source="newsletter", utm_medium="email", utm_campaign=rnd.choice(
                            ("spring-teas", "first-flush", "winter-blends")))
                events.append(e)
                ts += rnd.uniform(20, 240)
            ts += rnd.uniform(1, 6) * DAY_S
    for e in events:
        count(day_name(int(e["ts"] // DAY_S)), "pageviews", e["path"])
    for d in range(first_day, first_day + days):
        name = day_name(d)
        for path in paths:  # page views of visitors who did not allow analytics: counted, never stored
            count(name, "pageviews", path, rnd.randint(15, 45))
        count(name, "consent.impressions", f"{config.policy_version}|en", rnd.randint(30, 60))
        count(name, "consent.signals", "dnt", rnd.randint(1, 4))
        count(name, "consent.signals", "gpc", rnd.randint(0, 3))
    events.sort(key=lambda e: e["ts"])
    for i in range(0, len(events), 500):
        store.write_events(events[i:i + 500])
    store.add_counts(counts)
    rebuild_rollups(store, now=now)
    return len(events)

"""`consentkit report` breaks its consent figures down by regional regime, under its small-number rule."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from consentkit.review import build_report, render_report
from consentkit.storage.rollups import day_of
from regions.regions_helpers import GERMANY, SAN_DIEGO, choose_from, regional


def test_the_report_by_regime(site: Callable[..., Any]) -> None:
    client, engine = regional(site)
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO})
    client.get("/", headers={"x-forwarded-for": SAN_DIEGO, "sec-gpc": "1"})
    choose_from(client, SAN_DIEGO, {"action": "reject_all"})
    client.cookies.clear()
    choose_from(client, SAN_DIEGO, {"action": "accept_all"})
    client.cookies.clear()
    choose_from(client, GERMANY, {"action": "accept_all"})
    engine.writer.flush()
    today = day_of(time.time())
    report = build_report(engine.store, today, today, min_visitors=2)
    (us,) = report.consent.by_regime
    assert (us.regime, us.choices, us.pages, us.gpc) == ("us_opt_out", 2, 2, 1)
    assert us.share("reject_all") == 0.5 and us.gpc_share == 0.5
    other = report.consent.regime_other  # gdpr, with one choice, is folded
    assert other is not None and (other.regime, other.choices, other.outcomes) == ("(other)", 1, {"accept_all": 1})
    data = json.loads(render_report(report, "json"))
    assert [r["regime"] for r in data["consent"]["by_regime"]] == ["us_opt_out"]
    assert "By regional regime" in render_report(report, "text")
    assert "<h2>By regional regime</h2>" in render_report(report, "html")
    everyone = build_report(engine.store, today, today, min_visitors=1)
    assert [r.regime for r in everyone.consent.by_regime] == ["gdpr", "us_opt_out"]


def test_no_regime_table_without_regions(site: Callable[..., Any]) -> None:
    client, engine = site()
    client.get("/")
    engine.writer.flush()
    today = day_of(time.time())
    report = build_report(engine.store, today, today, min_visitors=1)
    assert report.consent.by_regime == () and report.consent.regime_other is None
    assert "By regional regime" not in render_report(report, "text")

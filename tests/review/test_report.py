"""`consentkit report` on SQLite and PostgreSQL: traffic from rollups (or the events of days not built),
consent from the counters, the small-number rule, the four formats and the periods."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from consentkit import cli
from consentkit.review import build_report, period_days, rebuild_rollups, render_report
from consentkit.storage import Store, open_store
from consentkit.storage.rollups import day_of
from rollup_data import traffic, utc


def test_a_report_from_rollups_is_the_report_from_the_events(store: Store) -> None:
    traffic(store)
    live = build_report(store, day_of(utc(2)), day_of(utc(3)), min_visitors=5, now=0)
    rebuild_rollups(store, now=utc(9))
    built = build_report(store, day_of(utc(2)), day_of(utc(3)), min_visitors=5, now=0)
    assert built == live
    t = built.traffic
    assert (t.pageviews, t.visits, t.visitors, t.pageviews_counted) == (19, 13, 13, 100)
    pages = next(b for b in t.breakdowns if b.dimension == "path")
    assert [(g.label, g.pageviews) for g in pages.rows] == [("/", 12)]
    # /pricing (3 visitors a day) and the hostile path (one visitor) are folded, never listed.
    assert pages.other is not None and pages.other.pageviews == 7 and pages.folded == 2
    countries = next(b for b in t.breakdowns if b.dimension == "country")
    assert [g.label for g in countries.rows] == ["DE"] and countries.folded == 1
    c = built.consent
    assert (c.total.impressions, c.total.choices, c.total.share("accept_all")) == (40, 12, 8 / 12)
    assert [p.policy_version for p in c.by_policy] == ["1"]  # policy 0 had 2 choices: folded
    assert c.other is not None and c.other.choices == 2
    assert (c.dnt_share, c.gpc_share, c.chat) == (0.1, 0.05, {"shown": 4})
    assert c.total.optin_share("analytics") == 7 / 12
    # k = 3: /pricing has three visitors each day and is listed; the lone visitor's path never is.
    small = build_report(store, day_of(utc(2)), day_of(utc(3)), min_visitors=3)
    assert [g.label for g in next(b for b in small.traffic.breakdowns if b.dimension == "path").rows] == [
        "/", "/pricing"]


def test_every_format_shows_the_numbers_and_escapes_what_visitors_sent(store: Store) -> None:
    traffic(store)
    report = build_report(store, day_of(utc(2)), day_of(utc(3)), min_visitors=1, categories=["analytics", "marketing"])
    page = render_report(report, "html")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<svg") >= 5 and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert re.search(r"<td>/pricing</td><td>6</td>", page)
    md = render_report(report, "markdown")
    assert "| /pricing | 6 |" in md and "<script>" not in md and "\\|\\*x\\*" in md
    txt = render_report(report, "text")
    assert re.search(r"/pricing\s+6\s+6\s+6", txt) and "50.0%" in txt  # accept all: 6 of 12
    data = json.loads(render_report(report, "json"))
    assert data["traffic"]["pageviews"] == 19 and data["consent"]["total"]["outcomes"]["accept_all"] == 8
    assert data["period"] == {"first_day": "2026-03-02", "last_day": "2026-03-03"}


def test_periods_are_the_last_complete_day_week_or_month() -> None:
    now = dt.datetime(2026, 3, 11, 8, tzinfo=dt.UTC).timestamp()  # a Wednesday

    def days(**kw: Any) -> tuple[str, str]:
        first, last = period_days(now=now, **kw)
        return (dt.date(1970, 1, 1) + dt.timedelta(first)).isoformat(), (
            dt.date(1970, 1, 1) + dt.timedelta(last)).isoformat()

    assert days(period="day") == ("2026-03-10", "2026-03-10")
    assert days(period="week") == ("2026-03-02", "2026-03-08")
    assert days(period="month") == ("2026-02-01", "2026-02-28")
    assert days(period="month", since=utc(1, 0)) == ("2026-03-01", "2026-03-31")
    assert days(since=utc(2, 0), until=utc(5, 0)) == ("2026-03-02", "2026-03-04")
    with pytest.raises(ValueError):
        period_days(since=utc(5), until=utc(2))


def test_the_command_line_rebuilds_and_reports(any_store_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    s = open_store(any_store_url)
    traffic(s)
    s.close()
    base = ["--storage-url", any_store_url]
    assert cli.main(["rollup", "--rebuild", "--until", "2026-03-03", *base]) == 0
    assert json.loads(capsys.readouterr().out)["days"] == 2
    assert cli.main(["rollup", *base]) == 0
    assert json.loads(capsys.readouterr().out)["days_built"] == 2
    out = tmp_path / "r.html"
    assert cli.main(["report", "--since", "2026-03-02", "--until", "2026-03-03", "--format", "html",
                     "--output", str(out), *base]) == 0
    assert "<svg" in out.read_text()
    assert cli.main(["report", "--since", "2026-03-02", "--period", "week", "--format", "json", "--min-visitors",
                     "1", *base]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["period"]["last_day"] == "2026-03-08" and data["min_visitors"] == 1
    assert cli.main(["report", "--since", "2026-03-05", "--until", "2026-03-02", *base]) == 2
    assert "--until" in capsys.readouterr().err


def test_a_rebuild_shows_a_progress_bar_on_a_terminal_and_nothing_when_piped(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'ck.db'}"
    s = open_store(url)
    traffic(s)
    s.close()
    argv = [sys.executable, "-m", "consentkit.cli", "rollup", "--rebuild", "--until", "2026-03-03", "--storage-url",
            url]
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stderr == "" and json.loads(piped.stdout)["days"] == 2
    main, child = pty.openpty()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=child) as proc:
        os.close(child)
        out, _ = proc.communicate(timeout=60)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    os.close(main)
    assert proc.returncode == 0 and json.loads(out)["days"] == 2
    assert b"rebuilding rollups [" in seen and b"100% 2/2" in seen


def test_the_consent_summary_alone_is_the_reports(store: Store) -> None:
    from consentkit.review.report import consent_summary

    traffic(store)
    first, last = day_of(utc(1)), day_of(utc(9))
    assert consent_summary(store, first, last, min_visitors=3) == build_report(store, first, last,
                                                                               min_visitors=3).consent

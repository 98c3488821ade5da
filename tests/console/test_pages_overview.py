"""The Overview and Consent pages show the numbers `consentkit report` prints for the same period,
on SQLite and PostgreSQL, with the small-number rule, and escape what visitors' requests stored."""

from __future__ import annotations

import json

import pytest

from consentkit import cli
from consentkit.review import build_report, rebuild_rollups
from consentkit.storage import Store
from consentkit.storage.rollups import day_of
from console.console_helpers import Markup, config, facts_of, render, request, table_rows
from rollup_data import HOSTILE, traffic, utc

PERIOD = {"from": "2026-03-01", "to": "2026-03-04"}


def cli_report(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    assert cli.main(["report", "--since", PERIOD["from"], "--until", PERIOD["to"], "--format", "json",
                     "--storage-url", url, *extra]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("built", [False, True], ids=["live", "rollups"])
def test_the_overview_shows_the_reports_numbers(store: Store, any_store_url: str, built: bool,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    traffic(store)
    if built:
        rebuild_rollups(store, now=utc(9))
    result = render("/overview", request(store, "viewer", query=PERIOD, now=utc(9)))
    assert result.status == 200 and result.notices == ()
    shown = facts_of(result.body)
    data = cli_report(any_store_url, capsys)
    t = data["traffic"]
    assert shown["Page views counted (all)"] == f"{t['pageviews_counted']:,}" == "100"
    assert shown["Page views recorded with consent"] == f"{t['pageviews']:,}" == "19"
    assert shown["Visits"] == str(t["visits"]) and shown["Visitors (daily unique, summed)"] == str(t["visitors"])
    assert shown["Banner impressions"] == str(data["consent"]["total"]["impressions"]) == "40"
    assert shown["Choices"] == "12" and shown["Share of counted page views recorded"] == "19.0%"
    days = table_rows(result.body, "Page views, visits and visitors per day")
    assert [r[0] for r in days] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert [[int(c) for c in r[1:]] for r in days] == [
        [d["pageviews"], d["visits"], d["visitors"]] for d in t["days"]]
    # The small-number rule (k = 5 by default): only "/" is listed; /pricing and the lone visitor's
    # hostile path are folded into "other", exactly as in the report.
    pages = table_rows(result.body, "Top pages")
    report_pages = t["breakdowns"]["path"]
    assert [r[0] for r in pages[:-1]] == [g["label"] for g in report_pages["rows"]] == ["/"]
    assert pages[-1] == ["(other, with 2 small groups)", "7", "7", "7"]
    assert "alert(1)" not in result.body and HOSTILE not in " ".join(Markup(result.body).text)  # folded


def test_with_k_1_a_hostile_path_is_listed_escaped(store: Store) -> None:
    traffic(store)
    cfg = config(reports={"min_visitors": 1})
    result = render("/overview", request(store, "viewer", query=PERIOD, now=utc(9), cfg=cfg))
    assert "<script>" not in result.body and "&lt;script&gt;alert(1)&lt;/script&gt;" in result.body
    assert [r[0] for r in table_rows(result.body, "Top pages")] == ["/", "/pricing", HOSTILE]
    markup = Markup(result.body)
    assert not markup.all("script") and all("style" not in a for _, a in markup.tags)
    svg = next(a for t, a in markup.tags if t == "svg")
    assert svg["role"] == "img" and svg["aria-label"]
    assert ("title", {}) in markup.tags and ("desc", {}) in markup.tags


def test_the_consent_page_shows_the_reports_consent_and_days_that_add_up(
        store: Store, any_store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    traffic(store)
    store.add_counts({("2026-03-03", "consent.impressions", "1|de"): 5,
                      ("2026-03-03", "consent.choices", "1|reject_all"): 1})
    result = render("/consent", request(store, "viewer", query=PERIOD, now=utc(9)))
    c = cli_report(any_store_url, capsys)["consent"]
    shown = facts_of(result.body)
    assert shown["Banner impressions"] == str(c["total"]["impressions"]) == "45"
    assert shown["Choices"] == str(c["total"]["choices"]) == "13"
    assert shown["Accept all"] == f"{c['total']['shares']['accept_all'] * 100:.1f}%"
    assert shown["Page views with Do Not Track"] == "10.0%" and shown["Withdrawals"] == "1"
    per_day = table_rows(result.body, "Choices per day by outcome")
    assert sum(int(r[1]) for r in per_day) == 45 and sum(int(r[2]) for r in per_day) == 13
    assert per_day[1] == ["2026-03-02", "40", "12", "8", "3", "1"]
    policies = table_rows(result.body, "By policy version")
    assert policies == [["1", "45", "11", "54.5%", "36.4%", "9.1%", "1", "0"],
                        ["(other)", "0", "2", "100.0%", "0.0%", "0.0%", "0", "0"]]
    assert table_rows(result.body, "Banner impressions by language") == [["en", "40"], ["de", "5"]]
    optins = table_rows(result.body, "Opt-in per category")
    assert ["analytics", "7", f"{7 / 13 * 100:.1f}%"] in optins


def test_the_default_period_is_the_last_30_days_and_bad_dates_become_notices(store: Store) -> None:
    traffic(store)
    result = render("/overview", request(store, "viewer", query={"from": "2026-02-31", "to": "yesterday"},
                                         now=utc(4)))
    assert result.status == 200 and len(result.notices) == 2
    assert "2026-02-31" in result.notices[1] and "2026-03-03" in result.notices[0]  # yesterday
    report = build_report(store, day_of(utc(4)) - 30, day_of(utc(4)) - 1, now=0)
    assert report.traffic.pageviews == 19  # March 2 and 3
    assert facts_of(result.body)["Page views recorded with consent"] == str(report.traffic.pageviews)
    backwards = render("/overview", request(store, "viewer", query={"from": "2026-03-04", "to": "2026-03-01"},
                                            now=utc(9)))
    assert facts_of(backwards.body)["Period"] == "2026-03-01 to 2026-03-01 (UTC)" and backwards.notices


def test_opt_ins_per_day_add_up_to_the_reports_opt_ins(store: Store) -> None:
    traffic(store)
    store.add_counts({("2026-03-04", "consent.optins", "1|analytics"): 2,
                      ("2026-03-04", "consent.choices", "1|custom"): 2})
    result = render("/consent", request(store, "viewer", query=PERIOD, now=utc(9)))
    per_day = table_rows(result.body, "Opt-in per category per day")
    report = build_report(store, day_of(utc(1)), day_of(utc(4)), categories=["preferences", "analytics",
                                                                               "marketing", "chat"])
    assert [r[0] for r in per_day] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert per_day[1] == ["2026-03-02", "12", "0", "7", "6", "0"] and per_day[3][:4] == ["2026-03-04", "2", "0", "2"]
    assert sum(int(r[3]) for r in per_day) == report.consent.total.optins["analytics"] == 9
    assert 'class="line line-2"' in result.body  # one line per category

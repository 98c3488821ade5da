"""Reviewing the collection log: query events and visits, answer data-subject requests, apply retention,
keep the daily rollups and report on a period's traffic and consent; audit what is stored against its
consent, declare the cookies, read the anonymous counters.

Everything here works on any `Store` (SQLite or PostgreSQL) through the same SQL. Timestamps are unix
seconds (float, UTC) in the Python API and ISO-8601 UTC strings in exports and command-line output.
"""

from __future__ import annotations

from consentkit.review.audit import AuditReport, AuditRun, audit, last_run
from consentkit.review.counters import CounterTotal, MetricTotals, Stats, counter_totals, stats
from consentkit.review.declaration import (
    DataGroup,
    Declaration,
    DeclaredCategory,
    DeclaredCookie,
    ObservedCookie,
    declaration,
)
from consentkit.review.declaration_render import (
    cookie_declaration_html,
    declaration_html,
    declaration_markdown,
    declaration_page,
)
from consentkit.review.findings import CHECKS, CheckResult, Finding
from consentkit.review.queries import (
    PAGE_KINDS,
    Visit,
    event_for_export,
    event_page,
    events,
    iso,
    iter_events,
    visits,
)
from consentkit.review.report import Report, build_report, period_days
from consentkit.review.report_format import render as render_report
from consentkit.review.report_mail import send_report
from consentkit.review.retention import FIELD_GROUP_COLUMNS, PurgeReport, RetentionPlan, plan, purge
from consentkit.review.rollup import RebuildReport, RollupStatus, rebuild_rollups, rollup_status
from consentkit.review.subject import Tombstone, erase_subject, export_subject, tombstones

__all__ = [
    "CHECKS",
    "FIELD_GROUP_COLUMNS",
    "PAGE_KINDS",
    "AuditReport",
    "AuditRun",
    "CheckResult",
    "CounterTotal",
    "DataGroup",
    "Declaration",
    "DeclaredCategory",
    "DeclaredCookie",
    "Finding",
    "MetricTotals",
    "ObservedCookie",
    "PurgeReport",
    "RebuildReport",
    "Report",
    "RetentionPlan",
    "RollupStatus",
    "Stats",
    "Tombstone",
    "Visit",
    "audit",
    "build_report",
    "cookie_declaration_html",
    "counter_totals",
    "declaration",
    "declaration_html",
    "declaration_markdown",
    "declaration_page",
    "erase_subject",
    "event_for_export",
    "event_page",
    "events",
    "export_subject",
    "iso",
    "iter_events",
    "last_run",
    "period_days",
    "plan",
    "purge",
    "rebuild_rollups",
    "render_report",
    "rollup_status",
    "send_report",
    "stats",
    "tombstones",
    "visits",
]

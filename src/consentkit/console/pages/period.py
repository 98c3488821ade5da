"""The period of the analytics pages: whole UTC days, read from `from` and `to` like `consentkit
report --since/--until` (both included), and the report over it, built by the review API exactly
as the command builds it, so the console's numbers are the command's."""

from __future__ import annotations

from consentkit.console.html import field, get_form
from consentkit.console.page import PageRequest
from consentkit.console.params import Params
from consentkit.console.texts import texts
from consentkit.review.report import ConsentSummary, Report, build_report, consent_summary
from consentkit.storage.rollups import day_name

DEFAULT_DAYS = 30
MAX_DAYS = 366


def period(req: PageRequest) -> tuple[Params, int, int]:
    params = Params(req.query, texts(req.lang))
    first, last = params.period(req.now, DEFAULT_DAYS, MAX_DAYS)
    return params, first, last


def report(req: PageRequest, first: int, last: int) -> Report:
    """What `consentkit report --since FIRST --until LAST` reports, with the configuration's k and
    categories."""
    cfg = req.config
    return build_report(req.store, first, last, min_visitors=cfg.reports.min_visitors,
                        categories=optional_categories(req), now=req.now)


def period_form(req: PageRequest, path: str, first: int, last: int) -> str:
    t = texts(req.lang)
    fields = (field("from", t["from"], day_name(first), kind="date")
              + field("to", t["to"], day_name(last), kind="date"))
    return get_form(req, path, fields, t["show"], label=t["period"])


def consent(req: PageRequest, first: int, last: int) -> ConsentSummary:
    """The consent part of `report` alone (the counters): the Consent page needs no traffic."""
    return consent_summary(req.store, first, last, min_visitors=req.config.reports.min_visitors)


def optional_categories(req: PageRequest) -> list[str]:
    return [c.key for c in req.config.categories if not c.required]

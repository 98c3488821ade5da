"""Collection log (reviewer): the events with the filters of `consentkit events`, oldest first,
paged by position (time, row id) so that a page costs the same on the ten-millionth event as on
the first; each with its basis. The filtered view downloads as CSV or JSONL, exactly what
`consentkit events --format csv|jsonl` prints for the same filters.

Filtering by a visitor or consent id, and every export, goes into the access log.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from consentkit.console.html import NONE, field, get_form, link, section, select, table, url, when
from consentkit.console.page import Download, Page, PageRequest, PageResult
from consentkit.console.params import Params
from consentkit.console.texts import texts
from consentkit.htmlsafe import escape
from consentkit.review.cli import event_lines
from consentkit.review.queries import event_page, iter_events
from consentkit.storage.base import Store
from consentkit.storage.rollups import DAY_S, day_name

PATH = "/log"
KINDS = ("pageview", "beacon", "pixel")
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
SCAN_DAYS = 7
"""Days read at most for one page of a view filtered by path or kind alone."""


def filters(req: PageRequest, params: Params) -> dict[str, Any]:
    """The view's filters as `events` takes them; without dates, today (UTC)."""
    today = int(req.now // DAY_S)
    first = params.day("from", today) if params.values.get("from") else None
    last = params.day("to", today) if params.values.get("to") else None
    if first is None and last is None:
        first = last = today
    if first is not None and last is not None and first > last:
        params.bad("from", day_name(first), day_name(last))
        first = last
    return {
        "visitor_id": params.text("visitor"),
        "consent_id": params.text("consent"),
        "path": params.text("path"),
        "kind": params.choice("kind", KINDS),
        "since": float(first * DAY_S) if first is not None else None,
        "until": float((last + 1) * DAY_S) if last is not None else None,
    }


def cursor(raw: str) -> tuple[float, int] | None:
    """A page position `TS:ID` from the query; None for anything else."""
    ts, sep, ident = raw.partition(":")
    if not sep or len(raw) > 60:
        return None
    try:
        pos = (float(ts), int(ident))
    except ValueError:
        return None
    return pos if math.isfinite(pos[0]) and pos[1] >= -1 else None


def page_of(
    store: Store, found: dict[str, Any], after: tuple[float, int] | None, size: int
) -> tuple[list[dict[str, Any]], tuple[float, int] | None, float | None]:
    """A page of the view, the position of the next, and where the search stopped short (None: it
    did not). A filter no index serves (path, kind) makes the engine read every event of the
    window to find a few; read day by day, at most `SCAN_DAYS` days a page, a page costs the same
    however long the window and however rare the match. (ts, -1) is the position "from ts on"."""
    if found["visitor_id"] or found["consent_id"] or not (found["path"] or found["kind"]):
        page, following = event_page(store, after=after, size=size, **found)
        return page, following, None
    since, until = found["since"], found["until"]
    start = max(since if since is not None else -math.inf, after[0] if after else -math.inf)
    if start == -math.inf:
        oldest = store.query("SELECT ts FROM ck_events WHERE ts IS NOT NULL ORDER BY ts LIMIT 1")
        if not oldest:
            return [], None, None
        start = float(oldest[0][0])
    end = until if until is not None else math.inf
    rows: list[dict[str, Any]] = []
    for _ in range(SCAN_DAYS):
        stop = min(end, (start // DAY_S + 1) * DAY_S)
        part, following = event_page(store, after=after, size=size - len(rows),
                                     **{**found, "since": start, "until": stop})
        rows += part
        if following is not None:
            return rows, following, None
        if stop >= end:
            return rows, None, None
        start, after = stop, None
        if len(rows) == size:
            return rows, (stop, -1), None
    return rows, (start, -1), start


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    params = Params(req.query, t)
    found = filters(req, params)
    shown = _shown(req, found)
    for key, subject in (("visitor", found["visitor_id"]), ("consent", found["consent_id"])):
        if subject:
            req.access.record(req.user, "filter_log", subject=subject, detail={"filter": key, **shown})
    fmt = params.choice("export", tuple(FORMATS))
    if fmt is not None:
        req.access.record(req.user, "export_log", detail={"format": fmt, **shown})
        stamp = day_name(int(req.now // DAY_S))
        return PageResult(t["log"], download=Download(f"consentkit-events-{stamp}.{fmt}", FORMATS[fmt],
                                                      _encoded(event_lines(iter_events(req.store, **found), fmt))))
    size = params.number("size", 50, 1, 500)
    raw = req.query.get("after", "")
    after = cursor(raw) if raw else None
    if raw and after is None:
        params.bad("after", raw, t["first_page"])
    rows, following, reached = page_of(req.store, found, after, size)
    body = [_form(req, t, found), _exports(req, t, shown)]
    if "from" not in shown and "to" not in shown:
        body.append(f'<p class="note">{escape(t["log_window"])}</p>')
    body.append(_rows(req, t, rows))
    if reached is not None:
        body.append(f'<p class="note">{escape(t["searched_to"].format(when=when(reached)))}</p>')
    pager = []
    if after is not None:
        pager.append(link(url(req, PATH, shown), t["first_page"]))
    if following is not None:
        pager.append(link(url(req, PATH, {**shown, "after": f"{following[0]!r}:{following[1]}",
                                          "size": str(size) if size != 50 else None}), t["next_page"]))
    if pager:
        body.append(f'<nav class="pager" aria-label="{escape(t["next_page"])}">{"".join(pager)}</nav>')
    return PageResult(t["log"], "".join(body), notices=tuple(params.notices))


def _shown(req: PageRequest, found: dict[str, Any]) -> dict[str, str]:
    """The view's filters as query parameters, as read (cleaned): for links, and the access log."""
    since, until = found["since"], found["until"]
    values = {"visitor": found["visitor_id"], "consent": found["consent_id"], "path": found["path"],
              "kind": found["kind"],
              "from": day_name(int(since // DAY_S)) if since is not None and req.query.get("from") else None,
              "to": day_name(int(until // DAY_S) - 1) if until is not None and req.query.get("to") else None}
    return {k: v for k, v in values.items() if v}


def _form(req: PageRequest, t: dict[str, str], found: dict[str, Any]) -> str:
    since, until = found["since"], found["until"]
    fields = (field("visitor", t["visitor_id"], found["visitor_id"])
              + field("consent", t["consent_id"], found["consent_id"])
              + field("path", t["path_filter"], found["path"])
              + select("kind", t["kind"], [("", t["any"]), *((k, k) for k in KINDS)], found["kind"])
              + field("from", t["from"], day_name(int(since // DAY_S)) if since is not None else "", kind="date")
              + field("to", t["to"], day_name(int(until // DAY_S) - 1) if until is not None else "", kind="date"))
    return get_form(req, PATH, fields, t["show"], label=t["filters"])


def _exports(req: PageRequest, t: dict[str, str], shown: dict[str, str]) -> str:
    links = [link(url(req, PATH, {**shown, "export": fmt}), t[f"export_{fmt}"]) for fmt in FORMATS]
    return f'<p class="pager">{"".join(links)}</p>'


def _rows(req: PageRequest, t: dict[str, str], rows: list[dict[str, Any]]) -> str:
    def subject_link(value: str | None) -> str:
        return link(url(req, "/subjects", {"subject": value}), value) if value else NONE

    head = (t["time"], t["kind"], t["path"], t["basis"], t["visitor_id"], t["consent_id"], t["session_id"],
            t["referrer"], t["country"], t["browser"])
    body = [(when(e["ts"]), e["kind"], e["path"], e["basis"], subject_link(e["visitor_id"]),
             subject_link(e["consent_id"]), e["session_id"], e["referrer_host"], e["country"], e["browser"])
            for e in rows]
    return section(t["events"], table(head, body, caption=t["events"], empty=t["no_events"], raw_columns=(4, 5)))


def _encoded(lines: Iterator[str]) -> Iterator[bytes]:
    """Lines as UTF-8, about 64 KiB at a time."""
    buf: list[str] = []
    size = 0
    for line in lines:
        buf.append(line)
        size += len(line)
        if size >= 65536:
            yield "".join(buf).encode("utf-8", "replace")
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode("utf-8", "replace")


PAGE = Page(PATH, "log", "reviewer", render)

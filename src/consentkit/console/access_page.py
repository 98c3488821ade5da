"""The access log as a console page, for officers: the latest rows, filtered by user or subject,
and whether the chain verifies. The shell serves it beside the console's pages at `/access`.

Looking up one subject's rows is itself recorded: who asked about whom is what the log is for.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from consentkit.console.access_log import AccessEntry, entries, recent, verify
from consentkit.console.page import Page, PageRequest, PageResult
from consentkit.htmlsafe import escape

PATH = "/access"
ROWS = 100


def render(req: PageRequest) -> PageResult:
    user, subject = req.query.get("user", "")[:256], req.query.get("subject", "")[:256]
    before = req.query.get("before", "")
    older_than = int(before) if before.isdigit() and len(before) < 19 else None
    if subject:
        req.access.record(req.user, "filter_access_log", subject=subject, detail={"user": user})
    rows = recent(req.store, limit=ROWS, before=older_than, user=user, subject=subject)
    verdict = verify(entries(req.store))
    status = (f'<p class="ok">{escape(str(verdict))}</p>' if verdict.ok
              else f'<p class="bad">{escape(str(verdict))}</p>')
    form = (f'<form method="get" action="{escape(req.base)}{PATH}" class="filters">'
            f'<label for="access-user">User</label> <input id="access-user" name="user" value="{escape(user)}"> '
            f'<label for="access-subject">Subject</label> '
            f'<input id="access-subject" name="subject" value="{escape(subject)}"> '
            '<button type="submit">Show</button></form>')
    more = ""
    if len(rows) == ROWS:
        query = urlencode({k: v for k, v in (("user", user), ("subject", subject)) if v} | {"before": rows[-1].seq})
        more = f'<p><a href="{escape(req.base)}{PATH}?{escape(query)}">Older rows</a></p>'
    return PageResult("Access log", status + form + _table(rows) + more)


def _table(rows: list[AccessEntry]) -> str:
    if not rows:
        return '<p class="empty">No rows.</p>'
    head = "".join(f'<th scope="col">{h}</th>' for h in ("#", "When (UTC)", "User", "Role", "Address", "Action",
                                                        "Subject", "Detail"))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
            e.seq, dt.datetime.fromtimestamp(e.ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), e.user, e.role,
            e.address, e.action, e.subject, "" if e.detail == "{}" else e.detail)) + "</tr>"
        for e in rows)
    return (f"<table><caption>Access log, newest first</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


PAGE = Page(PATH, "access_log", "officer", render)

"""Subjects: look up a visitor or consent id and see everything stored about it (reviewer; each
lookup goes into the access log); download it as JSON, exactly what `consentkit export` prints, and
erase it after typing the id again (officer). After an erasure the tombstone is shown.

Decided here: looking is a reviewer's (they see the same events in the collection log); taking a
copy away and erasing are an officer's.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from consentkit.console.html import NONE, facts, field, get_form, hidden, post_form, section, table, url
from consentkit.console.page import Download, Page, PageRequest, PageResult, allows
from consentkit.console.params import Params
from consentkit.console.texts import texts
from consentkit.htmlsafe import escape
from consentkit.review.subject import Tombstone, erase_subject, export_subject, tombstones

PATH = "/subjects"
LISTED = 200
"""Events listed on the page (the download has them all)."""


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    params = Params(req.form if req.method == "POST" else req.query, t)
    subject = params.text("subject")
    if req.method == "POST":
        return _erase(req, t, params, subject)
    body = [get_form(req, PATH, field("subject", t["subject"], subject), t["find"], label=t["lookup"])]
    notices = list(params.notices)
    erased = params.number("erased", 0, 0, 2**62)
    if erased and subject:
        stone = next((s for s in tombstones(req.store, [subject]) if s.id == erased), None)
        if stone is not None:
            notices.append(t["erased"].format(events=stone.events_removed, ledger=stone.ledger_redacted))
    if subject is None:
        return PageResult(t["subjects"], "".join(body), notices=tuple(notices))
    officer = allows(req.user.role, "officer")
    if params.choice("download", ("json",)) == "json":
        if not officer:
            return PageResult(t["subjects"], f"<p>{escape(t['officer_only'])}</p>", status=403)
        doc = export_subject(req.store, subject)
        req.access.record(req.user, "export_subject", subject=subject,
                          detail={"events": str(len(doc["events"])), "ledger": str(len(doc["ledger"]))})
        data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        return PageResult(t["subjects"], download=Download("consentkit-subject.json", "application/json", [data]))
    doc = export_subject(req.store, subject)
    req.access.record(req.user, "view_subject", subject=subject)
    body.append(_stored(t, doc))
    if officer:
        body.append(_actions(req, t, subject, bool(doc["events"] or doc["ledger"])))
    else:
        body.append(f'<p class="note">{escape(t["officer_only"])}</p>')
    return PageResult(t["subjects"], "".join(body), notices=tuple(notices))


def _erase(req: PageRequest, t: dict[str, str], params: Params, subject: str | None) -> PageResult:
    confirm = params.text("confirm")
    if subject is None or confirm != subject:
        form = get_form(req, PATH, field("subject", t["subject"], subject), t["find"], label=t["lookup"])
        return PageResult(t["subjects"], form, status=400, notices=(*params.notices, t["erase_mismatch"]))
    stone = erase_subject(req.store, subject)
    req.access.record(req.user, "erase_subject", subject=subject,
                      detail={"tombstone": str(stone.id), "events_removed": str(stone.events_removed),
                              "ledger_redacted": str(stone.ledger_redacted)})
    return PageResult(t["subjects"], redirect=f"{PATH}?{_query(subject, stone)}")


def _query(subject: str, stone: Tombstone) -> str:
    return urlencode({"subject": subject, "erased": str(stone.id)})


def _stored(t: dict[str, str], doc: dict[str, Any]) -> str:
    events, ledger, stones = doc["events"], doc["ledger"], doc["tombstones"]
    out = [facts([(t["visitor_ids"], ", ".join(doc["visitor_ids"]) or NONE),
                  (t["consent_ids"], ", ".join(doc["consent_ids"]) or NONE),
                  (t["events"], len(events)), (t["ledger_records"], len(ledger)), (t["tombstones"], len(stones))])]
    if not events and not ledger:
        out.append(f'<p class="empty">{escape(t["nothing_stored"])}</p>')
    if events:
        rows = [(e["ts"], e["kind"], e["path"], e["basis"], e["visitor_id"], e["consent_id"], e["country"],
                 e["browser"]) for e in events[:LISTED]]
        head = (t["time"], t["kind"], t["path"], t["basis"], t["visitor_id"], t["consent_id"], t["country"],
                t["browser"])
        note = f'<p class="note">{escape(t["events_more"].format(n=LISTED))}</p>' if len(events) > LISTED else ""
        out.append(section(t["events"], table(head, rows, caption=t["events"]) + note))
    if ledger:
        records = [(r["seq"], r["ts"], r["consent_id"], ", ".join(r["granted"]), ", ".join(r["denied"]),
                 r["policy_version"], r["ip"], r["ua_hash"]) for r in ledger]
        out.append(section(t["ledger_records"], table(
            (t["seq"], t["time"], t["consent_id"], t["granted"], t["denied"], t["policy"], "IP", "UA"), records,
            caption=t["ledger_records"])))
    if stones:
        stone_rows = [(s["id"], s["subject"], s["erased_at"], s["events_removed"], s["ledger_redacted"],
                 ", ".join(s["consent_ids"])) for s in stones]
        out.append(section(t["tombstones"], table(
            ("#", t["subject"], t["erased_at"], t["events_removed"], t["ledger_redacted"], t["consent_ids"]),
            stone_rows, caption=t["tombstones"])))
    return "".join(out)


def _actions(req: PageRequest, t: dict[str, str], subject: str, anything: bool) -> str:
    download = f'<p><a href="{url(req, PATH, {"subject": subject, "download": "json"})}">' \
               f'{escape(t["download_subject"])}</a></p>'
    if not anything:
        return download
    fields = hidden("subject", subject) + field("confirm", t["erase_confirm"], "", extra=' autocomplete="off"')
    form = post_form(req, PATH, fields, t["erase_button"], cls="danger", label=t["erase"])
    return download + section(t["erase"], f"<p>{escape(t['erase_help'])}</p>{form}")


PAGE = Page(PATH, "subjects", "reviewer", render, post_role="officer")

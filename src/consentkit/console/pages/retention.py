"""Retention (reviewer sees, officer acts): each category's retention and the data it holds (its
field groups' columns), whether and since when something is due (`retention_due`), and the purge:
a dry run that counts, or the run itself, both by `review.purge` as `consentkit purge [--dry-run]`
runs it."""

from __future__ import annotations

from consentkit.console.html import NONE, csrf, facts, section, table, when
from consentkit.console.page import Page, PageRequest, PageResult, allows
from consentkit.console.pages.retention_due import Due, due
from consentkit.console.texts import texts
from consentkit.htmlsafe import escape
from consentkit.review.retention import DAY, FIELD_GROUP_COLUMNS, PurgeReport, plan, purge, retention_settings

PATH = "/retention"


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    categories, fields = retention_settings(req.config)
    notices: list[str] = []
    done: PurgeReport | None = None
    if req.method == "POST":
        action = req.form.get("action", "")
        if action not in ("dry_run", "run"):
            return PageResult(t["retention"], status=400, notices=(t["bad_value"].format(
                field="action", value=action[:40], fallback=NONE),))
        done = purge(req.store, categories, fields, now=req.now, dry_run=action == "dry_run")
        req.access.record(req.user, "purge" if action == "run" else "purge_dry_run", detail=_detail(done))
        notices.append(_summary(t, done))
    body = [_plan(req, t, categories, fields, due(req.store, categories, fields, req.now))]
    if done is not None:
        body.append(section(t["purge"], _result(t, done)))
    if allows(req.user.role, "officer"):
        body.append(section(t["purge"], _actions(req, t)))
    body.append(f'<p class="note">{escape(t["ledger_kept"])}</p>')
    return PageResult(t["retention"], "".join(body), notices=tuple(notices))


def _plan(req: PageRequest, t: dict[str, str], categories: dict[str, int], fields: dict[str, str], d: Due) -> str:
    p = plan(categories, fields)
    rows = []
    for cat, days in categories.items():
        groups = [g for g, c in fields.items() if c == cat]
        columns = ", ".join(col for g in groups for col in FIELD_GROUP_COLUMNS[g])
        oldest = d.oldest_redactable.get(cat) if cat in d.redact_before else d.oldest_event
        state = t["due_since"].format(when=when(oldest)) if oldest is not None else t["nothing_due"]
        rows.append((cat, days, ", ".join(groups) or NONE, columns or NONE, when(req.now - days * DAY),
                     state if groups else NONE))  # a category holding no field has nothing of its own to purge
    head = (t["category"], t["retention_days"], t["holds"], t["columns"], t["cutoff"], t["due"])
    intro = escape(t["keep_days"].format(days=p.keep_days, date=when(d.delete_before)))
    counters = (t["due_since"].format(when=d.oldest_counter_day) if d.oldest_counter_day else t["nothing_due"])
    return section(t["retention_plan"], f"<p>{intro}</p>" + table(head, rows, caption=t["retention_plan"])
                   + facts([(t["counters_due"], counters)]))


def _actions(req: PageRequest, t: dict[str, str]) -> str:
    buttons = (f'<button type="submit" name="action" value="dry_run">{escape(t["dry_run"])}</button>'
               f'<button type="submit" name="action" value="run" class="danger">{escape(t["run_purge"])}</button>')
    return (f'<form method="post" action="{escape(req.base + PATH)}" class="actions" aria-label="{escape(t["purge"])}">'
            f"{csrf(req)}{buttons}</form>")


def _summary(t: dict[str, str], r: PurgeReport) -> str:
    if r.dry_run:
        return t["purge_dry"].format(events=r.events_deleted, counts=r.counts_deleted)
    return t["purge_done"].format(events=r.events_deleted, counts=r.counts_deleted, rollups=r.rollups_deleted)


def _result(t: dict[str, str], r: PurgeReport) -> str:
    lines = [_summary(t, r), *(t["redacted"].format(category=c, n=n) for c, n in sorted(r.events_redacted.items()))]
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def _detail(r: PurgeReport) -> dict[str, str]:
    return {"events_deleted": str(r.events_deleted), "counts_deleted": str(r.counts_deleted),
            "rollups_deleted": str(r.rollups_deleted),
            **{f"redacted.{c}": str(n) for c, n in sorted(r.events_redacted.items())}}


PAGE = Page(PATH, "retention", "reviewer", render, post_role="officer")

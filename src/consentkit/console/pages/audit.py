"""Audit (reviewer): the last recorded audit, and running one now (`review.audit`, what
`consentkit audit` runs, recorded the same way).

Decided here: a reviewer may run it. An audit only reads what is stored and records that it ran
(the chain head it saw, so the next one notices a cut-off ledger); it changes no data, and running
it more often only makes the chain's proof more recent.
"""

from __future__ import annotations

from consentkit.console.html import facts, post_form, section, table, when
from consentkit.console.page import Page, PageRequest, PageResult
from consentkit.console.texts import texts
from consentkit.htmlsafe import escape
from consentkit.review.audit import AuditReport, audit, last_run

PATH = "/audit"


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    body: list[str] = []
    if req.method == "POST":
        report = audit(req.store, req.config, now=req.now, listed=20)
        req.access.record(req.user, "run_audit", detail={"findings": str(report.total_findings),
                                                         "run_id": str(report.run_id)})
        body.append(_report(t, report))
    run = last_run(req.store)
    if run is None:
        last = f'<p class="empty">{escape(t["never_audited"])}</p>'
    else:
        verdict = (f'<p class="ok">{escape(t["audit_ok"])}</p>' if run.findings == 0
                   else f'<p class="bad">{escape(t["audit_bad"].format(n=f"{run.findings:,}"))}</p>')
        last = verdict + facts([(t["started"], when(run.started_at)), (t["finished"], when(run.finished_at)),
                                (t["findings"], run.findings), (t["ledger_head"], run.ledger_seq)])
    body.insert(0, section(t["last_audit"], last))
    body.append(section(t["run_audit"], f'<p class="note">{escape(t["audit_cli"])}</p>'
                        + post_form(req, PATH, "", t["run_audit"], cls="actions", label=t["run_audit"])))
    return PageResult(t["audit"], "".join(body))


def _report(t: dict[str, str], report: AuditReport) -> str:
    verdict = (f'<p class="ok">{escape(t["audit_ok"])}</p>' if report.ok
               else f'<p class="bad">{escape(t["audit_bad"].format(n=f"{report.total_findings:,}"))}</p>')
    checks = table((t["check"], t["what"], t["checked"], t["findings"]),
                   [(c.check, c.description, c.checked, c.findings) for c in report.checks], caption=t["check"])
    found = table((t["check"], t["subject"], t["detail"], t["count"]),
                  [(f.check, f.subject, f.detail, f.count) for f in report.findings], caption=t["findings"],
                  empty=t["none"])
    return section(t["audit_result"], verdict + checks + found)


PAGE = Page(PATH, "audit", "reviewer", render, post_role="reviewer")

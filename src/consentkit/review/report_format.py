"""A `Report` as JSON, plain text, Markdown, or a self-contained HTML page with SVG charts.

The HTML page needs nothing else: no script, no stylesheet or font from elsewhere; its charts are
server-rendered SVG, readable without JavaScript. Every value from the store (paths, referrers,
campaign names are whatever visitors' requests carried) goes through `htmlsafe.escape`, and through
`_md` in Markdown, so that none can add markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from consentkit.consent_counters import OUTCOMES
from consentkit.htmlsafe import escape, printable
from consentkit.review.queries import iso
from consentkit.review.report import Breakdown, PolicyConsent, Report
from consentkit.review.report_regimes import RegimeConsent
from consentkit.svgcharts import columns, hbars, pct, stacked

FORMATS = ("text", "markdown", "json", "html")
TITLES = {
    "path": "Top pages", "referrer_class": "Referrer classes", "referrer_host": "Referrers",
    "utm_source": "Campaign sources", "utm_medium": "Campaign media", "utm_campaign": "Campaigns",
    "browser": "Browsers", "os": "Operating systems", "device": "Devices", "country": "Countries",
}


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
    renderers: dict[str, Callable[[Report], str]] = {"text": text, "markdown": markdown, "html": html_page}
    if fmt not in renderers:
        raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")
    return renderers[fmt](report)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _categories(report: Report) -> list[str]:
    seen = {c for p in (report.consent.total,) for c in p.optins}
    return [*report.categories, *sorted(seen - set(report.categories))]


def report_dict(report: Report) -> dict[str, Any]:
    t, c = report.traffic, report.consent

    def policy(p: PolicyConsent) -> dict[str, Any]:
        d = asdict(p)
        d["shares"] = {o: p.share(o) for o in OUTCOMES}
        d["optin_shares"] = {cat: p.optin_share(cat) for cat in sorted(p.optins)}
        return d

    def regime(r: RegimeConsent) -> dict[str, Any]:
        d = asdict(r)
        d["shares"] = {o: r.share(o) for o in OUTCOMES}
        d["gpc_share"] = r.gpc_share
        return d

    return {
        "period": {"first_day": report.first_day, "last_day": report.last_day},
        "generated_at": iso(report.generated_at),
        "min_visitors": report.min_visitors,
        "traffic": {
            "pageviews_counted": t.pageviews_counted, "pageviews": t.pageviews, "visits": t.visits,
            "visitors": t.visitors, "days": [asdict(d) for d in t.days],
            "breakdowns": {b.dimension: {"rows": [asdict(g) for g in b.rows],
                                         "other": asdict(b.other) if b.other else None, "folded": b.folded}
                           for b in t.breakdowns},
        },
        "consent": {
            "total": policy(c.total), "by_policy": [policy(p) for p in c.by_policy],
            "other": policy(c.other) if c.other else None,
            "pages": c.pages, "dnt": c.dnt, "gpc": c.gpc, "dnt_share": c.dnt_share, "gpc_share": c.gpc_share,
            "chat": dict(c.chat),
            "by_regime": [regime(r) for r in c.by_regime],
            "regime_other": regime(c.regime_other) if c.regime_other else None,
        },
    }


# -- text and Markdown: the same tables, drawn two ways ----------------------------------------------
Table = tuple[str, Sequence[str], list[list[str]]]


def _tables(report: Report) -> tuple[list[tuple[str, str]], list[Table]]:
    t, c = report.traffic, report.consent
    total = c.total
    summary = [
        ("Period", f"{report.first_day} to {report.last_day} (UTC)"),
        ("Page views counted (all)", f"{t.pageviews_counted:,}"),
        ("Page views recorded with consent", f"{t.pageviews:,}"),
        ("Visits", f"{t.visits:,}"),
        ("Visitors (daily unique, summed)", f"{t.visitors:,}"),
        ("Banner impressions", f"{total.impressions:,}"),
        ("Choices", f"{total.choices:,}"),
        ("Accept all / reject all / custom",
         " / ".join(pct(total.share(o)) for o in OUTCOMES)),
        ("Withdrawals / re-asks after a policy change", f"{total.withdrawals:,} / {total.reasks:,}"),
        ("Page views with DNT / GPC", f"{pct(c.dnt_share)} / {pct(c.gpc_share)}"),
        ("Small-number rule", f"groups with fewer than {report.min_visitors} visitors are folded into other"),
    ]
    tables: list[Table] = []
    cats = _categories(report)
    tables.append(("Opt-in per category", ("category", "choices granting it", "share of choices"),
                   [[cat, f"{total.optins.get(cat, 0):,}", pct(total.optin_share(cat))] for cat in cats]))
    rows = [[p.policy_version, f"{p.impressions:,}", f"{p.choices:,}", *(pct(p.share(o)) for o in OUTCOMES),
             f"{p.withdrawals:,}", f"{p.reasks:,}"] for p in (*c.by_policy, *([c.other] if c.other else []))]
    tables.append(("By policy version", ("policy", "impressions", "choices", "accept all", "reject all", "custom",
                                         "withdrawals", "re-asks"), rows))
    regimes = (*c.by_regime, *([c.regime_other] if c.regime_other else []))
    if regimes:  # a site with regional regimes
        tables.append(("By regional regime", ("regime", "impressions", "choices", "accept all", "reject all",
                                              "custom", "page views", "with GPC"),
                       [[r.regime, f"{r.impressions:,}", f"{r.choices:,}", *(pct(r.share(o)) for o in OUTCOMES),
                         f"{r.pages:,}", pct(r.gpc_share)] for r in regimes]))
    for b in t.breakdowns:
        tables.append((TITLES[b.dimension], (b.dimension, "page views", "visits", "visitors"), _rows(b)))
    tables.append(("Per day", ("day", "page views", "visits", "visitors"),
                   [[d.day, f"{d.pageviews:,}", f"{d.visits:,}", f"{d.visitors:,}"] for d in t.days]))
    return summary, tables


def _rows(b: Breakdown) -> list[list[str]]:
    groups = [*b.rows, *([b.other] if b.other else [])]
    out = [[g.label, f"{g.pageviews:,}", f"{g.visits:,}", f"{g.visitors:,}"] for g in groups]
    if b.other is not None:
        out[-1][0] = f"(other, with {b.folded} small group{'s' if b.folded != 1 else ''})" if b.folded else "(other)"
    return out


def text(report: Report) -> str:
    summary, tables = _tables(report)
    width = max(len(k) for k, _ in summary)
    out = ["consentkit report", ""] + [f"{k.ljust(width)}  {v}" for k, v in summary]
    for title, head, rows in tables:
        out += ["", title]
        if not rows:
            out.append("  (none)")
            continue
        cells = [list(head), *([printable(c)[:60] for c in r] for r in rows)]
        widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
        for n, r in enumerate(cells):
            out.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                                        enumerate(zip(r, widths, strict=True))).rstrip())
            if n == 0:
                out.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


def _md(cell: str) -> str:
    """A table cell that cannot break the table or add markup."""
    out = printable(cell)
    for ch in "\\`*_[]<>#|~&":
        out = out.replace(ch, "\\" + ch)
    return out


def markdown(report: Report) -> str:
    summary, tables = _tables(report)
    out = [f"# consentkit report, {report.first_day} to {report.last_day}", "", "| | |", "| --- | --- |"]
    out += [f"| {_md(k)} | {_md(v)} |" for k, v in summary]
    for title, head, rows in tables:
        out += ["", f"## {title}", ""]
        if not rows:
            out.append("(none)")
            continue
        out.append("| " + " | ".join(_md(h) for h in head) + " |")
        out.append("| --- |" + " ---: |" * (len(head) - 1))
        out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


# -- HTML with SVG charts ----------------------------------------------------------------------------
_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;color:#1b1b1b;max-width:960px;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;"
    "text-align:right}td:first-child,th:first-child{text-align:left;word-break:break-all}"
    "svg{display:block;margin:.5em 0 1.5em;max-width:100%}h2{margin-top:2em}.note{color:#555}"
)
def _html_table(head: Sequence[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for r in rows:
        out += ["<tr>", *(f"<td>{escape(printable(c))}</td>" for c in r), "</tr>"]
    out.append("</tbody></table>")
    return "".join(out)


def html_page(report: Report) -> str:
    summary, tables = _tables(report)
    t, c = report.traffic, report.consent
    title = f"consentkit report, {report.first_day} to {report.last_day}"
    body = [f"<h1>{escape(title)}</h1>", _html_table(("", ""), [[k, v] for k, v in summary])]
    body += ["<h2>Page views per day</h2>", columns([(d.day, d.pageviews) for d in t.days], "Page views per day")]
    body += ["<h2>Choices</h2>", stacked(c.total.outcomes, c.total.choices)]
    cats = _categories(report)
    body.append(hbars([(cat, c.total.optins.get(cat, 0)) for cat in cats], "Choices granting each category"))
    charts = {b.dimension: b for b in t.breakdowns}
    for table_title, head, rows in tables:
        body.append(f"<h2>{escape(table_title)}</h2>")
        dim = head[0]
        if dim in charts and charts[dim].rows:
            body.append(hbars([(g.label, g.pageviews) for g in charts[dim].rows], table_title))
        body.append(_html_table(head, rows))
    body.append(f'<p class="note">Generated {escape(iso(report.generated_at) or "")} by consentkit. Visitors are '
                "daily unique visitors summed over the days; groups with fewer than "
                f"{report.min_visitors} visitors are folded into other.</p>")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
            f"<body>{''.join(body)}</body></html>\n")

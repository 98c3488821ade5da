"""Overview (viewer): traffic over the period, the top lists under the small-number rule, and the
consent figures beside them, so that one sees how much of the traffic is measured at all."""

from __future__ import annotations

from consentkit.console import charts
from consentkit.console.html import facts, pct, section, table
from consentkit.console.page import Page, PageRequest, PageResult
from consentkit.console.pages.period import period, period_form, report
from consentkit.console.texts import texts
from consentkit.htmlsafe import escape
from consentkit.review.report import Breakdown

PATH = "/overview"


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    params, first, last = period(req)
    rep = report(req, first, last)
    tr, c = rep.traffic, rep.consent
    summary = facts([
        (t["period"], t["period_days"].format(first=rep.first_day, last=rep.last_day)),
        (t["pageviews_counted"], tr.pageviews_counted),
        (t["pageviews_recorded"], tr.pageviews),
        (t["measured_share"], pct(tr.pageviews / tr.pageviews_counted if tr.pageviews_counted else None)),
        (t["visits"], tr.visits),
        (t["visitors_summed"], tr.visitors),
        (t["impressions"], c.total.impressions),
        (t["choices"], c.total.choices),
        (t["choice_rate"], pct(c.total.choices / c.total.impressions if c.total.impressions else None)),
        (t["accept_all"], pct(c.total.share("accept_all"))),
    ])
    desc = t["per_day_desc"].format(first=rep.first_day, last=rep.last_day, pageviews=f"{tr.pageviews:,}",
                                    visits=f"{tr.visits:,}", visitors=f"{tr.visitors:,}")
    series = [(t[name], [float(getattr(d, name)) for d in tr.days]) for name in ("pageviews", "visits", "visitors")]
    per_day = charts.over_time([d.day for d in tr.days], series, t["per_day"], desc) + table(
        (t["day"], t["pageviews"], t["visits"], t["visitors"]),
        [(d.day, d.pageviews, d.visits, d.visitors) for d in tr.days], caption=t["per_day"])
    tops = "".join(_breakdown(t, b) for b in tr.breakdowns)
    body = (period_form(req, PATH, first, last) + section(t["summary"], summary)
            + section(t["per_day"], per_day)
            + f'<p class="note">{_small_rule(t, rep.min_visitors)}</p>' + tops)
    return PageResult(t["overview"], body, notices=tuple(params.notices))


def _small_rule(t: dict[str, str], k: int) -> str:
    return escape(t["small_rule"].format(k=k))


def _breakdown(t: dict[str, str], b: Breakdown) -> str:
    title = t[f"dim.{b.dimension}"]
    rows: list[tuple[str, int, int, int]] = [(g.label, g.pageviews, g.visits, g.visitors) for g in b.rows]
    if b.other is not None:
        label = t["other_folded"].format(n=b.folded) if b.folded else t["other"]
        rows.append((label, b.other.pageviews, b.other.visits, b.other.visitors))
    chart = charts.top_list([(g.label, g.pageviews) for g in b.rows], title,
                            ", ".join(f"{g.label}: {g.pageviews:,}" for g in b.rows))
    return section(title, chart + table((t["value"], t["pageviews"], t["visits"], t["visitors"]), rows,
                                        caption=title, empty=t["none"]))


PAGE = Page(PATH, "overview", "viewer", render)

"""Consent (viewer): banner impressions, the shares of accept all / reject all / custom and the
opt-in per category, over time, by policy version and by language; DNT and GPC; withdrawals.
Totals are the report's (`consentkit report`: its consent part, `consent_summary`); the per-day and
per-language split reads the same counters (`consent_days`)."""

from __future__ import annotations

from consentkit.consent_counters import OUTCOMES
from consentkit.console import charts
from consentkit.console.html import Cell, facts, pct, section, table
from consentkit.console.page import Page, PageRequest, PageResult
from consentkit.console.pages.consent_days import ConsentDays, consent_days
from consentkit.console.pages.period import consent, optional_categories, period, period_form
from consentkit.console.texts import texts
from consentkit.htmlsafe import escape
from consentkit.review.report import ConsentSummary, PolicyConsent
from consentkit.storage.rollups import day_name

PATH = "/consent"


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    params, first, last = period(req)
    c = consent(req, first, last)
    days = consent_days(req.store, first, last)
    total = c.total
    summary = facts([
        (t["period"], t["period_days"].format(first=day_name(first), last=day_name(last))),
        (t["impressions"], total.impressions),
        (t["choices"], total.choices),
        *((t[o], pct(total.share(o))) for o in OUTCOMES),
        (t["withdrawals"], total.withdrawals),
        (t["reasks"], total.reasks),
        (t["dnt_share"], pct(c.dnt_share)),
        (t["gpc_share"], pct(c.gpc_share)),
    ])
    desc = t["outcomes_desc"].format(choices=f"{total.choices:,}",
                                     **{o: pct(total.share(o)) for o in OUTCOMES})
    body = [period_form(req, PATH, first, last), section(t["summary"], summary),
            section(t["outcomes"], charts.outcomes(total.outcomes, total.choices, t["outcomes"], desc)),
            _per_day(t, days), _optins(t, c, optional_categories(req), days), _policies(t, c.by_policy, c.other),
            _languages(t, days)]
    return PageResult(t["consent"], "".join(body), notices=tuple(params.notices))


def _per_day(t: dict[str, str], d: ConsentDays) -> str:
    totals = [sum(d.outcomes[o][i] for o in OUTCOMES) for i in range(len(d.days))]
    series = [(t[o], [d.outcomes[o][i] / n if n else 0.0 for i, n in enumerate(totals)]) for o in OUTCOMES]
    chart = charts.over_time(d.days, series, t["consent_per_day"], t["consent_per_day_desc"], top=1.0)
    rows: list[tuple[Cell, ...]] = [(day, d.impressions[i], totals[i], *(d.outcomes[o][i] for o in OUTCOMES))
            for i, day in enumerate(d.days)]
    return section(t["consent_per_day"], chart + table(
        (t["day"], t["impressions"], t["choices"], *(t[o] for o in OUTCOMES)), rows, caption=t["consent_per_day"]))


def _optins(t: dict[str, str], c: ConsentSummary, categories: list[str], d: ConsentDays) -> str:
    total = c.total
    cats = [*categories, *sorted(set(total.optins) - set(categories))]
    items = [(cat, total.optins.get(cat, 0)) for cat in cats]
    chart = charts.top_list(items, t["optins"], ", ".join(f"{c}: {pct(total.optin_share(c))}" for c in cats))
    rows = [(cat, n, pct(total.optin_share(cat))) for cat, n in items]
    choices = [sum(d.outcomes[o][i] for o in OUTCOMES) for i in range(len(d.days))]
    series = [(cat, [n / c if c else 0.0 for n, c in zip(d.optins.get(cat, [0] * len(d.days)), choices, strict=True)])
              for cat in cats]
    daily = charts.over_time(d.days, series, t["optins_per_day"], t["optins_per_day_desc"], top=1.0)
    per_day: list[tuple[Cell, ...]] = [(day, choices[i], *(d.optins.get(c, [0] * len(d.days))[i] for c in cats))
                                       for i, day in enumerate(d.days)]
    return section(t["optins"], chart + table((t["category"], t["granting"], t["share"]), rows,
                                              caption=t["optins"], empty=t["none"])
                   + f"<h3>{escape(t['optins_per_day'])}</h3>" + daily
                   + table((t["day"], t["choices"], *cats), per_day, caption=t["optins_per_day"]))


def _policies(t: dict[str, str], shown: tuple[PolicyConsent, ...], other: PolicyConsent | None) -> str:
    rows: list[tuple[Cell, ...]] = [(t["other"] if p is other else p.policy_version, p.impressions, p.choices,
             *(pct(p.share(o)) for o in OUTCOMES), p.withdrawals, p.reasks)
            for p in (*shown, *([other] if other else []))]
    head = (t["policy"], t["impressions"], t["choices"], *(t[o] for o in OUTCOMES), t["withdrawals"], t["reasks"])
    return section(t["by_policy"], table(head, rows, caption=t["by_policy"], empty=t["none"]))


def _languages(t: dict[str, str], d: ConsentDays) -> str:
    rows = sorted(d.by_language.items(), key=lambda kv: (-kv[1], kv[0]))
    return section(t["by_language"], table((t["lang"], t["impressions"]), rows, caption=t["by_language"],
                                           empty=t["none"]))


PAGE = Page(PATH, "consent", "viewer", render)

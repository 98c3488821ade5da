"""Cookies (viewer): the cookie declaration (`review.declaration`, what `consentkit declaration`
prints), the cookies seen set with their longest lifetimes, the undeclared ones, and those removed
for want of consent (the anonymous `cookie.stripped` counter), over the days the counters keep."""

from __future__ import annotations

from consentkit.console.html import NONE, section, table
from consentkit.console.page import Page, PageRequest, PageResult
from consentkit.console.texts import texts
from consentkit.review.counters import counter_totals
from consentkit.review.declaration import Declaration, declaration, lifetime_text, observed_lifetimes

PATH = "/cookies"
STRIPPED = "cookie.stripped"


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    decl = declaration(req.config, req.store, lang=req.lang, now=req.now)
    seen = observed_lifetimes(req.store)
    body = [_declared(t, decl), _observed(t, decl, seen), _undeclared(t, decl), _removed(req, t)]
    return PageResult(t["cookies"], "".join(body))


def _declared(t: dict[str, str], decl: Declaration) -> str:
    dt = decl.texts
    rows = []
    for cat in decl.categories:
        for c in cat.cookies:
            rows.append((cat.title, c.name, c.provider or dt["this_site"], dt.get(c.party, c.party),
                         lifetime_text(dt, c.lifetime_s, c.lifetime_source), ", ".join(c.seen_as) or NONE))
    head = (t["category"], t["name"], t["provider"], t["party"], t["lifetime"], t["seen_as"])
    cats = [(c.title, c.key, dt.get("basis." + c.lawful_basis, c.lawful_basis),
             c.retention_days, t["required"] if c.required else NONE) for c in decl.categories]
    return section(t["declaration"], table((t["category"], "key", t["lawful_basis"], t["retention_days"],
                                            t["required"]), cats, caption=t["declaration"])
                   + table(head, rows, caption=dt["cookies"], empty=t["none"]))


def _observed(t: dict[str, str], decl: Declaration, seen: dict[str, int | None]) -> str:
    rows = [(name, lifetime_text(decl.texts, life, "observed")) for name, life in sorted(seen.items())]
    return section(t["observed"], table((t["name"], t["lifetime"]), rows, caption=t["observed"], empty=t["none"]))


def _undeclared(t: dict[str, str], decl: Declaration) -> str:
    rows = [(u.name, lifetime_text(decl.texts, u.lifetime_s, "observed")) for u in decl.undeclared]
    return section(t["undeclared"], table((t["name"], t["lifetime"]), rows, caption=t["undeclared"],
                                          empty=t["none"]))


def _removed(req: PageRequest, t: dict[str, str]) -> str:
    # counter_totals gives each key once, summed over the days; a key is "name|owner".
    totals = [(*row.key.rpartition("|")[::2], row.count) for row in counter_totals(req.store, metrics=[STRIPPED])]
    rows = sorted(totals, key=lambda r: (-r[2], r[0], r[1]))
    return section(t["removed"], table((t["name"], t["category"], t["count"]), rows, caption=t["removed"],
                                       empty=t["none"]))


PAGE = Page(PATH, "cookies", "viewer", render)

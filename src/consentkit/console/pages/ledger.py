"""Ledger (reviewer): the consent records with filters, the chain's verify status and where it
breaks, and each record's shown-text fingerprint resolved to the banner texts it stands for.

Records are listed in chain order from a record number on; filtering by consent id reads that id's
records (indexed), by policy version or source reads at most `SCAN` records per page. Verifying
reads the whole chain (as `consentkit ledger verify` does), so it runs when asked for; the page
otherwise shows the chain head the last audit recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from consentkit.banner.texts import available_languages, shown_fingerprint, texts_for
from consentkit.config import ConsentConfig
from consentkit.console.html import NONE, field, get_form, hidden, link, section, table, url, when
from consentkit.console.page import Page, PageRequest, PageResult
from consentkit.console.params import Params
from consentkit.console.texts import texts
from consentkit.htmlsafe import escape
from consentkit.ledger import LedgerRecord, UnreadableRecord, verify
from consentkit.review.audit import last_run

PATH = "/ledger"
SIZE = 50
SCAN = 5000
"""Records read at most per page when filtering by policy version or source."""


Shown = tuple[str | None, str | None]
"""(language tag the banner sent, or None; regional regime, or None for the site's opt-in banner)."""


def fingerprints(config: ConsentConfig) -> dict[str, Shown]:
    """shown_hash → the language and regime a choice under the current configuration was made in."""
    langs: list[str | None] = [None, *sorted(available_languages(config.banner))]
    regimes: list[str | None] = [None]
    if config.regions is not None:
        regimes += [r.name for r in (*config.regions.regimes, config.regions.fallback)]
    return {shown_fingerprint(config, lang, regime): (lang, regime) for regime in regimes for lang in langs}


def render(req: PageRequest) -> PageResult:
    t = texts(req.lang)
    params = Params(req.query, t)
    consent = params.text("consent")
    policy = params.text("policy", 64)
    source = params.text("source", 64)
    start = params.number("seq", 0, 0, 2**62)
    shown = {"consent": consent, "policy": policy, "source": source}
    if consent:
        req.access.record(req.user, "filter_ledger", subject=consent, detail={"filter": "consent"})
    known = fingerprints(req.config)
    body = [_chain(req, t, params), _form(req, t, shown, start)]
    wanted = params.text("texts", 64)
    if wanted:
        body.append(_texts(req, t, wanted, known))
    records, following, unreadable = _records(req, consent, policy, source, start)
    body.append(_list(req, t, records, known, shown))
    if unreadable is not None:
        body.append(f'<p class="bad">{escape(str(unreadable))}</p>')
    pager = []
    if start:
        pager.append(link(url(req, PATH, shown), t["first_page"]))
    if following is not None:
        pager.append(link(url(req, PATH, {**shown, "seq": str(following)}), t["next_page"]))
    if pager:
        body.append(f'<nav class="pager" aria-label="{escape(t["next_page"])}">{"".join(pager)}</nav>')
    return PageResult(t["ledger"], "".join(body), notices=tuple(params.notices))


def _records(
    req: PageRequest, consent: str | None, policy: str | None, source: str | None, start: int
) -> tuple[list[LedgerRecord], int | None, UnreadableRecord | None]:
    """A page of matching records after number `start`, the number to continue after (None: no
    more), and a record that could not be read, if one stopped the listing."""
    walk: Iterator[LedgerRecord] = req.store.ledger([consent] if consent else None, batch=SIZE + 1, after=start)
    out: list[LedgerRecord] = []
    last, read = start, 0
    try:
        for rec in islice(walk, SCAN):
            last, read = rec.seq, read + 1
            if (policy is None or rec.policy_version == policy) and (source is None or rec.source == source):
                if len(out) == SIZE:
                    return out, out[-1].seq, None
                out.append(rec)
    except UnreadableRecord as exc:
        return out, None, exc
    return out, (last if read == SCAN else None), None  # SCAN read: the next page goes on after them


def _chain(req: PageRequest, t: dict[str, str], params: Params) -> str:
    if params.choice("verify", ("1",)) == "1":
        verdict = verify(req.store.ledger())
        if verdict.ok:
            status = f'<p class="ok">{escape(t["chain_ok"].format(n=f"{verdict.checked:,}"))}</p>'
        else:
            text = t["chain_bad"].format(seq=verdict.bad_seq, reason=verdict.reason, n=f"{verdict.checked:,}")
            where = link(url(req, PATH, {"seq": str(max((verdict.bad_seq or 1) - 1, 0))}), f"#{verdict.bad_seq}")
            status = f'<p class="bad">{escape(text)}</p><p>{where}</p>'
    else:
        status = f'<p class="note">{escape(t["chain_unchecked"])}</p>'
        run = last_run(req.store)
        if run is not None:
            status += f"<p>{escape(t['last_audit_head'].format(seq=run.ledger_seq, when=when(run.finished_at)))}</p>"
    button = get_form(req, PATH, hidden("verify", "1"), t["verify"], label=t["chain"])
    return section(t["chain"], status + button)


def _form(req: PageRequest, t: dict[str, str], shown: dict[str, str | None], start: int) -> str:
    fields = (field("consent", t["consent_id"], shown["consent"]) + field("policy", t["policy"], shown["policy"])
              + field("source", t["source_filter"], shown["source"])
              + field("seq", t["from_seq"], str(start) if start else "", kind="number", extra=' min="0"'))
    return get_form(req, PATH, fields, t["show"], label=t["filters"])


def _list(req: PageRequest, t: dict[str, str], records: list[LedgerRecord], known: dict[str, Shown],
          shown: dict[str, str | None]) -> str:
    def fingerprint(rec: LedgerRecord) -> str:
        short = escape(rec.shown_hash[:12]) + "…"
        if rec.shown_hash in known and rec.policy_version == req.config.policy_version:
            lang, regime = known[rec.shown_hash]
            label = f"{lang or NONE}, {regime}" if regime else (lang or NONE)
            return (f'<span class="mono">{short}</span> '
                    + link(url(req, PATH, {**shown, "texts": rec.shown_hash}), f"{t['show_texts']} ({label})"))
        return f'<span class="mono">{short}</span>'

    head = (t["seq"], t["time"], t["consent_id"], t["granted"], t["denied"], t["policy"], t["source"],
            t["signals_col"], t["fingerprint"])
    rows = [(rec.seq, when(rec.ts), rec.consent_id, ", ".join(rec.granted), ", ".join(rec.denied),
             rec.policy_version, rec.source, f"{'DNT' if rec.dnt else NONE} / {'GPC' if rec.gpc else NONE}",
             fingerprint(rec)) for rec in records]
    return section(t["ledger_records"], table(head, rows, caption=t["ledger_records"], empty=t["no_records"],
                                              raw_columns=(8,)))


def _texts(req: PageRequest, t: dict[str, str], wanted: str, known: dict[str, Shown]) -> str:
    """The banner texts a fingerprint stands for, when it is one of the current configuration's."""
    version = req.config.policy_version
    if wanted not in known:
        note = escape(t["fingerprint_unknown"].format(version=version))
        return section(t["shown_texts"], f'<p class="note">{note}</p>')
    lang, regime = known[wanted]
    shown = texts_for(req.config, lang, regime)
    picked = lang or shown["lang"]
    intro = escape(t["fingerprint_known"].format(version=version, lang=f"{picked}, {regime}" if regime else picked))
    rows = sorted(shown.items())
    return section(t["shown_texts"], f'<p>{intro} <span class="mono">{escape(wanted)}</span></p>'
                   + table((t["text_key"], t["text_value"]), rows, caption=t["shown_texts"]))


PAGE = Page(PATH, "ledger", "reviewer", render)

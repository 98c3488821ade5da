"""The proof commands of `consentkit`: audit, declaration, stats (clients of `consentkit.review`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

from consentkit.cli_context import store_args
from consentkit.review.audit import AuditReport, audit
from consentkit.review.cli import ProgressBar, _positive
from consentkit.review.counters import Stats, stats


def _day(text: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (2024-05-01)") from None


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days >= 0")
    return value


def add_audit_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `audit`, `declaration` and `stats` to the `consentkit` command."""
    au = subparsers.add_parser(
        "audit", help="check everything stored against the consent it claims; exit 1 on any finding")
    store_args(au)
    au.add_argument("--json", metavar="FILE", help="also write the full report as JSON to FILE ('-': stdout)")
    au.add_argument("--no-record", action="store_true",
                    help="do not record this run (for a role that may only read; the next audit then compares "
                         "with the last recorded one)")
    au.add_argument("--listed", type=_positive, default=20, metavar="N",
                    help="findings listed per check (all are counted; default: 20)")
    au.add_argument("--retention-grace", type=_days, default=0.0, metavar="DAYS",
                    help="let what purge has not reached yet pass for this long (default: 0)")
    au.set_defaults(func=cmd_audit)

    de = subparsers.add_parser(
        "declaration", help="the cookie declaration and records of processing, from the configuration and what "
                            "was seen")
    store_args(de)
    de.add_argument("--format", choices=["html", "markdown", "json"], default="html", help="default: html")
    de.add_argument("--lang", metavar="TAG", help="one of the banner's languages (default: its default language)")
    de.add_argument("--fragment", action="store_true",
                    help="html: only the <section> for a privacy page, not a whole page")
    de.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    de.add_argument("--configured-only", action="store_true",
                    help="from the configuration alone, without the store (no lifetimes seen)")
    de.set_defaults(func=cmd_declaration)

    st = subparsers.add_parser("stats", help="the anonymous counters (page views, cookies, events, chat, consent)")
    store_args(st)
    st.add_argument("--since", type=_day, metavar="DAY", help="from this UTC day (inclusive)")
    st.add_argument("--until", type=_day, metavar="DAY", help="up to this UTC day (inclusive)")
    st.add_argument("--top", type=_positive, default=20, metavar="N",
                    help="keys shown per counter, largest first (default: 20; --json has all)")
    st.add_argument("--json", action="store_true", help="print JSON instead of a table")
    st.set_defaults(func=cmd_stats)


def cmd_audit(args: argparse.Namespace) -> int:
    config = args.ctx.config_from_args(args)
    store = args.ctx.store(args, not args.no_record)
    bar = ProgressBar(sys.stderr, "auditing") if sys.stderr.isatty() else None
    try:
        report = audit(store, config, record=not args.no_record, listed=args.listed,
                       retention_grace_days=args.retention_grace, progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()
        store.close()
    doc = json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if args.json == "-":
        sys.stdout.write(doc)
        write_audit_summary(sys.stderr, report)
    else:
        if args.json:
            Path(args.json).write_text(doc, "utf-8")
        write_audit_summary(sys.stdout, report)
    return 0 if report.ok else 1


def write_audit_summary(out: TextIO, report: AuditReport) -> None:
    seq, head = report.ledger_head
    out.write(f"consentkit audit: {report.events:,} events, ledger of {seq:,} records (head {head[:16]}…)\n")
    if report.previous is not None:
        from consentkit.review.queries import iso

        out.write(f"previous audit: {iso(report.previous.finished_at)} (ledger then at record "
                  f"{report.previous.ledger_seq:,})\n")
    else:
        out.write("previous audit: none recorded (the ledger head is compared from the next run on)\n")
    width = max(len(c.check) for c in report.checks)
    for c in report.checks:
        verdict = "ok" if c.ok else f"{c.findings:,} FINDING{'S' if c.findings != 1 else ''}"
        out.write(f"  {c.check.ljust(width)}  {verdict:<16} {c.description} ({c.checked:,} checked)\n")
    for f in report.findings:
        out.write(f"  - [{f.check}] {f.subject}: {f.detail}\n")
    if report.total_findings > sum(f.count for f in report.findings):
        out.write("  … more than listed: the counts above are complete (--listed N lists more, --json FILE "
                  "writes them)\n")
    out.write("OK: nothing stored outside consent\n" if report.ok
              else f"FAILED: {report.total_findings:,} finding(s)\n")


def cmd_stats(args: argparse.Namespace) -> int:
    store = args.ctx.store(args)
    try:
        result = stats(store, since_day=args.since or "", until_day=args.until or "")
    finally:
        store.close()
    if args.json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        write_stats_table(sys.stdout, result, args.top)
    return 0


def write_stats_table(out: TextIO, result: Stats, top: int) -> None:
    period = f"{result.since_day or 'the first day'} to {result.until_day or 'today'}"
    out.write(f"consentkit counters, {period} (UTC days)\n")
    if not result.metrics:
        out.write("(nothing counted)\n")
        return
    rows: list[tuple[str, str, str]] = []
    for m in result.metrics:
        rows.append((m.metric, "(total)", f"{m.total:,}"))
        for k in m.keys[:top]:
            rows.append(("", k.key.replace("\n", " "), f"{k.count:,}"))
        if len(m.keys) > top:
            rows.append(("", f"… {len(m.keys) - top:,} more", ""))
    w0 = max(len("counter"), *(len(r[0]) for r in rows))
    w1 = max(len("key"), *(min(len(r[1]), 60) for r in rows))
    w2 = max(len("count"), *(len(r[2]) for r in rows))
    out.write(f"{'counter'.ljust(w0)}  {'key'.ljust(w1)}  {'count'.rjust(w2)}\n")
    out.write(f"{'-' * w0}  {'-' * w1}  {'-' * w2}\n")
    for metric, key, count in rows:
        cell = key if len(key) <= 60 else key[:59] + "…"
        out.write(f"{metric.ljust(w0)}  {cell.ljust(w1)}  {count.rjust(w2)}\n")
    labels = [m for m in result.metrics if m.label != m.metric]
    if labels:
        out.write("\n" + "".join(f"{m.metric}: {m.label}\n" for m in labels))


def cmd_declaration(args: argparse.Namespace) -> int:
    from consentkit.review.declaration import declaration
    from consentkit.review.declaration_render import declaration_html, declaration_markdown, declaration_page

    config = args.ctx.config_from_args(args)
    store = None if args.configured_only else args.ctx.store(args)
    try:
        decl = declaration(config, store, lang=args.lang)
    finally:
        if store is not None:
            store.close()
    if args.format == "json":
        text = json.dumps(decl.as_dict(), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = declaration_markdown(decl)
    else:
        text = declaration_html(decl) if args.fragment else declaration_page(decl)
    if args.output:
        Path(args.output).write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    return 0

"""The `rollup` and `report` commands of `consentkit`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from consentkit.cli_context import store_args
from consentkit.review.cli import ProgressBar, _positive, _since, _until
from consentkit.review.report import build_report, period_days
from consentkit.review.report_format import FORMATS, render
from consentkit.review.rollup import rebuild_rollups, rollup_status


def add_report_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `rollup` and `report` to the `consentkit` command."""
    ro = subparsers.add_parser("rollup", help="the daily rollups reports read: their state, or --rebuild them")
    store_args(ro)
    ro.add_argument("--rebuild", action="store_true", help="recreate them from the events (days that have ended)")
    ro.add_argument("--since", metavar="T", type=_since, help="from this UTC date (default: the oldest event's)")
    ro.add_argument("--until", metavar="T", type=_until, help="up to this UTC date, included (default: yesterday)")
    ro.set_defaults(func=cmd_rollup)

    re = subparsers.add_parser("report", help="a period's traffic and consent summary (text, Markdown, JSON, HTML)")
    store_args(re)
    re.add_argument("--period", choices=["day", "week", "month"], default="day",
                    help="the last complete day (default), Monday-to-Sunday week or month; with --since, the "
                         "one starting then")
    re.add_argument("--since", metavar="T", type=_since, help="first UTC date of the period")
    re.add_argument("--until", metavar="T", type=_until, help="last UTC date of the period, included")
    re.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    re.add_argument("--output", metavar="FILE", help="write the report here instead of standard output")
    re.add_argument("--min-visitors", metavar="K", type=_positive,
                    help="small-number rule: fold groups with fewer visitors (default: reports.min_visitors, 5)")
    re.add_argument("--top", metavar="N", type=_positive, default=10, help="rows per breakdown (default: 10)")
    re.add_argument("--email", metavar="TO", action="append",
                    help="mail the report (text, with the HTML page) through reports.smtp_url; repeatable")
    re.set_defaults(func=cmd_report)


def cmd_rollup(args: argparse.Namespace) -> int:
    store = args.ctx.store(args, bool(args.rebuild))
    try:
        if not args.rebuild:
            print(json.dumps(rollup_status(store).as_dict(), indent=2))
            return 0
        bar = ProgressBar(sys.stderr, "rebuilding rollups") if sys.stderr.isatty() else None
        try:
            done = rebuild_rollups(store, since=args.since, until=args.until, progress=bar.update if bar else None)
        finally:
            if bar is not None:
                bar.close()
        print(json.dumps(done.as_dict(), indent=2))
        return 0
    finally:
        store.close()


def cmd_report(args: argparse.Namespace) -> int:
    cfg = args.ctx.config_from_args(args)
    try:
        first, last = period_days(args.period, since=args.since, until=args.until)
    except ValueError as exc:
        print(f"consentkit: {exc}", file=sys.stderr)
        return 2
    store = args.ctx.store(args)
    try:
        report = build_report(store, first, last, min_visitors=args.min_visitors or cfg.reports.min_visitors,
                              top=args.top, categories=[c.key for c in cfg.categories if not c.required])
    finally:
        store.close()
    if args.email:
        from consentkit.review.report_mail import MailError, send_report

        if not cfg.reports.smtp_url:
            print("consentkit: --email needs reports.smtp_url in the configuration (smtp://HOST:PORT)",
                  file=sys.stderr)
            return 1
        try:
            send_report(report, args.email, cfg.reports.smtp_url, cfg.reports.mail_from)
        except MailError as exc:
            print(f"consentkit: {exc}", file=sys.stderr)
            return 1
        print(f"report {report.first_day} to {report.last_day} sent to {', '.join(args.email)}", file=sys.stderr)
    body = render(report, args.format)
    if args.output:
        Path(args.output).write_text(body, encoding="utf-8")
    elif not args.email:
        sys.stdout.write(body)
    return 0

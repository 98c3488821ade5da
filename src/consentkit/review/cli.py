"""The review commands of `consentkit`: events, export, erase, purge."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from consentkit.cli_context import store_args
from consentkit.review.queries import event_for_export, iter_events
from consentkit.review.retention import purge, retention_settings
from consentkit.review.subject import erase_subject, export_subject
from consentkit.storage.base import Store
from consentkit.storage.schema import EVENT_FIELDS

TABLE_FIELDS = (
    "ts", "kind", "path", "status", "visitor_id", "session_id", "consent_id", "country", "browser", "os", "device",
    "referrer_host",
)
"""Columns of `--format table` unless `--fields` says otherwise (all 40 would not fit a terminal)."""
_CELL = 40  # longest table cell before it is cut with an ellipsis


def parse_time(text: str, *, end: bool = False) -> float:
    """ISO date or date-time (UTC unless it has an offset), or unix seconds, as unix seconds.

    A bare date means its midnight; with `end`, the midnight after it, so `--until 2024-05-31`
    includes all of May 31.
    """
    value = text.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return (moment + dt.timedelta(days=1) if end else moment).timestamp()
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (2024-05-01), a date-time (2024-05-01T12:00:00Z) or unix seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _since(text: str) -> float:
    return parse_time(text)


def _until(text: str) -> float:
    return parse_time(text, end=True)


def _fields(text: str) -> tuple[str, ...]:
    names = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = [f for f in names if f not in EVENT_FIELDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown field(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(EVENT_FIELDS)}"
        )
    return names


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return n


def add_review_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `events`, `export`, `erase` and `purge` to the `consentkit` command."""

    def with_store(
        run: Callable[[argparse.Namespace, Store], int], writes: Callable[[argparse.Namespace], bool] = lambda a: False
    ) -> Callable[[argparse.Namespace], int]:
        def command(args: argparse.Namespace) -> int:
            store = args.ctx.store(args, writes(args))
            try:
                return run(args, store)
            finally:
                store.close()

        return command

    ev = subparsers.add_parser("events", help="list collected events, oldest first")
    store_args(ev)
    ev.add_argument("--visitor", metavar="ID", help="only this visitor id")
    ev.add_argument("--consent", metavar="ID", help="only this consent id")
    ev.add_argument("--path", metavar="P", help="only this path; a trailing * matches a prefix (/blog/*)")
    ev.add_argument("--kind", choices=["pageview", "beacon", "pixel"], help="only this kind of event")
    ev.add_argument("--since", metavar="T", type=_since, help="from this UTC date or date-time (inclusive)")
    ev.add_argument("--until", metavar="T", type=_until,
                    help="up to this UTC date-time (exclusive); a date includes that whole day")
    ev.add_argument("--format", choices=["jsonl", "csv", "table"], default="jsonl", help="default: jsonl")
    ev.add_argument("--fields", type=_fields, help="comma-separated fields to print (default: all; table: a few)")
    ev.add_argument("--limit", metavar="N", type=_positive, help="at most N events")
    ev.set_defaults(func=with_store(cmd_events))

    ex = subparsers.add_parser("export", help="everything stored about a visitor id or consent id, as JSON")
    store_args(ex)
    ex.add_argument("--subject", metavar="ID", required=True, help="a visitor id or a consent id")
    ex.set_defaults(func=with_store(cmd_export))

    er = subparsers.add_parser(
        "erase", help="delete a visitor's events and the personal fields of their ledger records; prints the tombstone"
    )
    store_args(er)
    er.add_argument("--subject", metavar="ID", required=True, help="a visitor id or a consent id")
    er.set_defaults(func=with_store(cmd_erase, lambda a: True))

    pu = subparsers.add_parser(
        "purge", help="delete or blank what is older than its category's retention_days (the ledger is kept)"
    )
    store_args(pu)
    pu.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    pu.add_argument("--batch-size", type=_positive, default=5000, help="rows per statement (default: 5000)")
    pu.set_defaults(func=with_store(cmd_purge, lambda a: not a.dry_run))


def cmd_events(args: argparse.Namespace, store: Store) -> int:
    fmt: str = args.format
    fields: tuple[str, ...] = args.fields or (TABLE_FIELDS if fmt == "table" else EVENT_FIELDS)
    found = iter_events(
        store, visitor_id=args.visitor, consent_id=args.consent, path=args.path, since=args.since,
        until=args.until, kind=args.kind, limit=args.limit,
    )
    if fmt == "table":
        write_table(sys.stdout, fields, ({f: e[f] for f in fields} for e in map(event_for_export, found)))
    else:
        out = sys.stdout
        for line in event_lines(found, fmt, fields):  # write(), not writelines(): Django's wrapper has only that
            out.write(line)
    return 0


def event_lines(found: Iterable[dict[str, Any]], fmt: str, fields: tuple[str, ...] = EVENT_FIELDS) -> Iterator[str]:
    """Events as the lines of `consentkit events --format jsonl` or `csv` (with its header row)."""
    rows = ({f: e[f] for f in fields} for e in map(event_for_export, found))
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row, ensure_ascii=False) + "\n"
        return
    if fmt != "csv":
        raise ValueError(f"unknown events format {fmt!r}")
    line = _Line()
    writer = csv.writer(line, lineterminator="\n")
    writer.writerow(fields)
    yield line.take()
    for row in rows:
        writer.writerow([_text(row[f]) for f in fields])
        yield line.take()


class _Line:
    """Where `csv.writer` writes one row at a time, so rows can be streamed."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        out = "".join(self._parts)
        self._parts.clear()
        return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_table(out: TextIO, fields: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> None:
    cells = [[_cell(row[f]) for f in fields] for row in rows]
    widths = [max([len(f), *(len(r[i]) for r in cells)]) for i, f in enumerate(fields)]
    out.write("  ".join(f.ljust(w) for f, w in zip(fields, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(cells)} event{'s' if len(cells) != 1 else ''})\n")


def _cell(value: Any) -> str:
    text = "-" if value is None else _text(value).replace("\n", " ")
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def cmd_export(args: argparse.Namespace, store: Store) -> int:
    doc = export_subject(store, args.subject)
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"{len(doc['events'])} events, {len(doc['ledger'])} ledger records, {len(doc['tombstones'])} tombstones",
          file=sys.stderr)
    return 0


def cmd_erase(args: argparse.Namespace, store: Store) -> int:
    stone = erase_subject(store, args.subject)
    sys.stdout.write(json.dumps(stone.as_dict(), indent=2) + "\n")
    return 0


def cmd_purge(args: argparse.Namespace, store: Store) -> int:
    cfg = args.ctx.config_from_args(args)
    categories, fields = retention_settings(cfg)
    bar = ProgressBar(sys.stderr, "dry run" if args.dry_run else "purging") if sys.stderr.isatty() else None
    try:
        report = purge(store, categories, fields, dry_run=args.dry_run, batch=args.batch_size,
                       progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()
    sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    return 0


class ProgressBar:
    """A one-line progress bar redrawn in place (at most 10 times a second)."""

    def __init__(self, out: TextIO, label: str, width: int = 30) -> None:
        self.out, self.label, self.width = out, label, width
        self._last = 0.0
        self._drawn: tuple[int, int] | None = None
        self._state = (0, 0)

    def update(self, done: int, total: int) -> None:
        self._state = (done, total)
        now = time.monotonic()
        if now - self._last >= 0.1 or done >= total:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        done, total = self._state
        frac = 1.0 if total <= 0 else min(1.0, done / total)
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r{self.label} [{bar}] {frac * 100:3.0f}% {done:,}/{total:,}")
        self.out.flush()
        self._drawn = self._state

    def close(self) -> None:
        if self._drawn is not None:
            if self._drawn != self._state:
                self._draw()
            self.out.write("\n")
            self.out.flush()

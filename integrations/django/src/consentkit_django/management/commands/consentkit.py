"""``manage.py consentkit …``: the ``consentkit`` command line, with the configuration from settings.

    manage.py consentkit check
    manage.py consentkit ledger verify
    manage.py consentkit events | export | erase | purge …
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from consentkit import cli
from consentkit.errors import ConfigError
from consentkit_django.conf import SETTING, build_config, setting


class _Stream:
    """Lets ``print`` write through Django's OutputWrapper without doubling newlines."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.out, "isatty", lambda: False)())


class Command(BaseCommand):
    help = "consentkit's command line (check, events, audit, report and the rest) with settings.CONSENTKIT"
    requires_system_checks: list[str] = []  # `consentkit check` reports configuration problems itself

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("args", nargs=argparse.REMAINDER, help="a consentkit command and its arguments")

    def run_from_argv(self, argv: list[str]) -> None:
        # Everything after `consentkit` is consentkit's, a leading --help or --version too: Django's
        # parser would answer those itself, about this wrapper and Django. "--" keeps them for `handle`.
        if argv[2:3] in (["-h"], ["--help"], ["--version"]):
            argv = [*argv[:2], "--", *argv[2:]]
        super().run_from_argv(argv)

    def handle(self, *args: str, **options: Any) -> None:
        argv = list(args[1:] if args[:1] == ("--",) else args) or ["--help"]
        try:
            config = build_config(setting())
        except ConfigError as exc:
            raise CommandError(f"settings.{SETTING}: {exc}") from None
        from contextlib import redirect_stderr, redirect_stdout

        with redirect_stdout(_Stream(self.stdout)), redirect_stderr(_Stream(self.stderr)):
            code = cli.main(argv, config=config)
        if code:
            raise CommandError(f"consentkit {' '.join(argv[:2])} failed (exit status {code})", returncode=code)

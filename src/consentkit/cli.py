"""The `consentkit` command: check a config, verify the ledger, review data, run the demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from consentkit.cli_context import CliContext, app_arg, store_args
from consentkit.config import ConsentConfig
from consentkit.consent import is_id
from consentkit.console_cli import add_console_commands
from consentkit.errors import ConfigError
from consentkit.ledger import UnreadableRecord
from consentkit.review.audit_cli import add_audit_commands
from consentkit.review.cli import add_review_commands
from consentkit.review.report_cli import add_report_commands
from consentkit.storage import StoreError


def cmd_check(args: argparse.Namespace) -> int:
    from consentkit.config_warnings import config_warnings

    cfg = args.ctx.config(args.path)
    print(json.dumps(cfg.redacted(), indent=2, sort_keys=True))
    for warning in config_warnings(cfg):
        print(f"warning: {warning}", file=sys.stderr)
    print("configuration OK", file=sys.stderr)
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from consentkit.ledger import verify

    store = args.ctx.store(args)
    try:
        verdict = verify(store.ledger())
    finally:
        store.close()
    print(verdict)
    return 0 if verdict.ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from consentkit.demo import run

    return run(framework=args.framework, port=args.port, storage_url=args.storage_url, host=args.host)


def build_parser() -> argparse.ArgumentParser:
    from consentkit import __version__

    p = argparse.ArgumentParser(prog="consentkit", description=__doc__)
    p.add_argument("--version", action="version", version=f"consentkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="validate a config file and print the effective configuration")
    c.add_argument("path", nargs="?", help="consentkit.toml or pyproject.toml (default: found in the cwd)")
    app_arg(c)
    c.set_defaults(func=cmd_check)

    led = sub.add_parser("ledger", help="the consent ledger")
    led_sub = led.add_subparsers(dest="ledger_command", required=True)
    v = led_sub.add_parser("verify", help="check the hash chain; names the first bad record")
    store_args(v)
    v.set_defaults(func=cmd_ledger_verify)

    d = sub.add_parser("demo", help="run the demo site with a fresh SQLite database")
    d.add_argument("--framework", choices=["starlette", "fastapi", "flask", "django"], default="starlette")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--storage-url", default=None)
    d.set_defaults(func=cmd_demo)

    add_review_commands(sub)
    add_report_commands(sub)
    add_audit_commands(sub)
    add_console_commands(sub)
    return p


def _glued(argv: list[str]) -> list[str]:
    """`--subject ID` as `--subject=ID`: one id in 64 begins with "-" (URL-safe base64), which
    argparse would take for an option and refuse the command."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--subject" and i + 1 < len(argv) and is_id(argv[i + 1]):
            out.append(f"--subject={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: Sequence[str] | None = None, *, config: ConsentConfig | None = None) -> int:
    """Run the command; frameworks pass their site's `config`, used unless a path is given."""
    parser = build_parser()
    args = parser.parse_args(_glued(sys.argv[1:] if argv is None else list(argv)))
    args.ctx = ctx = CliContext(config)
    try:
        if getattr(args, "app", None):
            from consentkit.app_config import config_of_app

            ctx.site_config = config_of_app(args.app)
        return int(args.func(args))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"consentkit: storage: {exc}", file=sys.stderr)
        return 1
    except UnreadableRecord as exc:
        print(f"consentkit: {exc} (`consentkit ledger verify` checks the whole chain)", file=sys.stderr)
        return 1
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except IsADirectoryError as exc:
        print(f"consentkit: {exc.filename}: is a directory, not a file", file=sys.stderr)
        return 1
    except (FileNotFoundError, PermissionError) as exc:
        print(f"consentkit: {exc}", file=sys.stderr)
        return 1


def _quiet_stdout() -> None:
    """The reader of our output went away (`| head`): that ends the command, quietly. Python would
    complain once more when it flushes stdout at exit, so stdout goes to /dev/null first."""
    try:
        out = sys.__stdout__
        if out is not None and sys.stdout is out:
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())


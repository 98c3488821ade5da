"""The `consentkit` command: check a config, verify the ledger, review data, run the demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from consentkit.config import ConsentConfig, load_config
from consentkit.consent import is_id
from consentkit.errors import ConfigError
from consentkit.storage import Store, StoreError, open_store

_site_config: ConsentConfig | None = None
"""The configuration an embedding framework handed to `main` (used when no path is given)."""


def _config(path: str | None) -> ConsentConfig:
    if path:
        return load_config(path)
    return _site_config if _site_config is not None else load_config()


def config_from_args(args: argparse.Namespace) -> ConsentConfig:
    """The config a command works with: `--config PATH`, else the site's, else the file/env lookup."""
    return _config(getattr(args, "config", None) or getattr(args, "path", None))


def _store(args: argparse.Namespace) -> Store:
    url = getattr(args, "storage_url", None) or _config(getattr(args, "config", None)).storage_url
    return open_store(url)


def cmd_check(args: argparse.Namespace) -> int:
    from consentkit.config_warnings import config_warnings

    cfg = _config(args.path)
    print(json.dumps(cfg.redacted(), indent=2, sort_keys=True))
    for warning in config_warnings(cfg):
        print(f"warning: {warning}", file=sys.stderr)
    print("configuration OK", file=sys.stderr)
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from consentkit.ledger import verify

    verdict = verify(_store(args).ledger())
    print(verdict)
    return 0 if verdict.ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from consentkit.demo import run

    return run(framework=args.framework, port=args.port, storage_url=args.storage_url, host=args.host)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="consentkit", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="validate a config file and print the effective configuration")
    c.add_argument("path", nargs="?", help="consentkit.toml or pyproject.toml (default: found in the cwd)")
    c.set_defaults(func=cmd_check)

    led = sub.add_parser("ledger", help="the consent ledger")
    led_sub = led.add_subparsers(dest="ledger_command", required=True)
    v = led_sub.add_parser("verify", help="check the hash chain; names the first bad record")
    _store_args(v)
    v.set_defaults(func=cmd_ledger_verify)

    d = sub.add_parser("demo", help="run the demo site with a fresh SQLite database")
    d.add_argument("--framework", choices=["starlette", "fastapi", "flask", "django"], default="starlette")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--storage-url", default=None)
    d.set_defaults(func=cmd_demo)

    try:
        from consentkit.review.cli import add_review_commands
    except ImportError:
        pass
    else:
        add_review_commands(sub, _store_args, _store)
    return p


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="config file (TOML)")
    p.add_argument("--storage-url", help="overrides the config's storage_url")


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
    global _site_config
    parser = build_parser()
    args = parser.parse_args(_glued(sys.argv[1:] if argv is None else list(argv)))
    previous, _site_config = _site_config, config
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"consentkit: storage: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, PermissionError) as exc:
        print(f"consentkit: {exc}", file=sys.stderr)
        return 1
    finally:
        _site_config = previous


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["Path", "main"]

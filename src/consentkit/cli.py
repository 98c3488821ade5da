"""The `consentkit` command: check a config, verify the ledger, review data, run the demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from consentkit.config import ConsentConfig, find_config_file, load_config, read_toml
from consentkit.consent import is_id
from consentkit.errors import ConfigError
from consentkit.ledger import UnreadableRecord
from consentkit.storage import Store, StoreError, open_store

_site_config: ConsentConfig | None = None
"""The configuration an embedding framework handed to `main` (used when no path is given)."""


_UNUSED_KEY = "unused: this command signs no cookie and checks no signature"
"""Stands in for `secret_keys` in commands that never sign, so they need no secret configured."""


def _config(path: str | None, *, signs: bool = True, for_storage: bool = False) -> ConsentConfig:
    """`path`, else the site's configuration, else the file found in the working directory (and
    CONSENTKIT_* variables). `signs`: the command needs the secret keys (only `check` does).
    `for_storage`: it is read only for `storage_url`, so no file and no variable for it is an error
    saying where a file was looked for."""
    if not path and _site_config is not None:
        return _site_config
    source = Path(path) if path else find_config_file()
    if source is None and for_storage and not os.environ.get("CONSENTKIT_STORAGE_URL"):
        raise ConfigError([f"{_not_found()}; give --config PATH, --storage-url URL or --app MODULE:ATTR"])
    data = read_toml(source) if source is not None else {}
    if not signs:
        data.setdefault("secret_keys", [_UNUSED_KEY])
    try:
        return load_config(data)
    except ConfigError as exc:
        if source is None:
            raise ConfigError([*exc.problems, _not_found()]) from None
        raise


def _not_found() -> str:
    cwd = Path.cwd()
    return (f"no configuration file: looked for {cwd / 'consentkit.toml'} and {cwd / 'pyproject.toml'} "
            "(with [tool.consentkit])")


def config_from_args(args: argparse.Namespace) -> ConsentConfig:
    """The config a command that signs nothing works with: `--config PATH`, else the site's, else
    the file/env lookup."""
    return _config(getattr(args, "config", None) or getattr(args, "path", None), signs=False)


def _store(args: argparse.Namespace, write: bool = False) -> Store:
    """The site's existing store, read-only unless the command writes: a mistyped path is an error
    naming it, never a new, empty database that reads as a clean result."""
    url = getattr(args, "storage_url", None)
    if not url:
        url = _config(getattr(args, "config", None), signs=False, for_storage=True).storage_url
    store = open_store(url, migrate=False, existing=True, read_only=not write)
    try:
        _check_schema(store, url, write)
    except BaseException:
        store.close()
        raise
    return store


def _check_schema(store: Store, url: str, write: bool) -> None:
    from consentkit.storage.schema import migrations
    from consentkit.storage.urls import redact_url

    try:
        version = int(store.query("SELECT MAX(version) FROM ck_schema")[0][0] or 0)
    except StoreError:
        version = 0
    if version == 0:
        raise StoreError(f"{redact_url(url)} holds no consentkit data (no ck_schema table): is it the site's "
                         "storage_url?")
    current = len(migrations(store.dialect))
    if version < current:
        if not write:
            raise StoreError(f"{redact_url(url)} has consentkit's schema {version}; this version reads "
                             f"{current}: start the site (or run a command that writes) once to upgrade it")
        store.migrate()


def cmd_check(args: argparse.Namespace) -> int:
    cfg = _config(args.path)
    print(json.dumps(cfg.redacted(), indent=2, sort_keys=True))
    print("configuration OK", file=sys.stderr)
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from consentkit.ledger import verify

    store = _store(args)
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
    _app_arg(c)
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
    _app_arg(p)


def _app_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--app", metavar="MODULE:ATTR",
                   help="take the configuration of this ASGI/WSGI app (consentkit in front of it), e.g. main:app")


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
        if getattr(args, "app", None):
            from consentkit.app_config import config_of_app

            _site_config = config_of_app(args.app)
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
    finally:
        _site_config = previous


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

__all__ = ["Path", "main"]

"""What the `consentkit` commands are given: where the site's configuration and store come from.

A framework's command (`manage.py consentkit`, `flask consentkit`) or `--app` hands over the
running site's configuration; otherwise `--config`, or the file found in the working directory
(and CONSENTKIT_* variables). The store is the site's existing one, read-only unless the command
writes.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from consentkit.config import ConsentConfig
from consentkit.configfile import find_config_file, load_config, read_toml
from consentkit.errors import ConfigError
from consentkit.storage import Store, StoreError, open_store

_UNUSED_KEY = "unused: this command signs no cookie and checks no signature"
"""Stands in for `secret_keys` in commands that never sign, so they need no secret configured."""


@dataclass
class CliContext:
    site_config: ConsentConfig | None = None
    """The configuration an embedding framework or `--app` handed over (used when no path is given)."""

    def config(self, path: str | None, *, signs: bool = True, for_storage: bool = False) -> ConsentConfig:
        """`path`, else the site's configuration, else the file found in the working directory (and
        CONSENTKIT_* variables). `signs`: the command needs the secret keys (only `check` does).
        `for_storage`: it is read only for `storage_url`, so no file and no variable for it is an
        error saying where a file was looked for."""
        if not path and self.site_config is not None:
            return self.site_config
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

    def config_from_args(self, args: argparse.Namespace) -> ConsentConfig:
        """The config a command that signs nothing works with: `--config PATH`, else the site's,
        else the file/env lookup."""
        return self.config(getattr(args, "config", None) or getattr(args, "path", None), signs=False)

    def store(self, args: argparse.Namespace, write: bool = False) -> Store:
        """The site's existing store, read-only unless the command writes: a mistyped path is an
        error naming it, never a new, empty database that reads as a clean result."""
        url = getattr(args, "storage_url", None)
        if not url:
            url = self.config(getattr(args, "config", None), signs=False, for_storage=True).storage_url
        store = open_store(url, migrate=False, existing=True, read_only=not write)
        try:
            _check_schema(store, url, write)
        except BaseException:
            store.close()
            raise
        return store


def store_args(p: argparse.ArgumentParser) -> None:
    """The options that say where the site's configuration and store are."""
    p.add_argument("--config", help="config file (TOML)")
    p.add_argument("--storage-url", help="overrides the config's storage_url")
    app_arg(p)


def app_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--app", metavar="MODULE:ATTR",
                   help="take the configuration of this ASGI/WSGI app (consentkit in front of it), e.g. main:app")


def _not_found() -> str:
    cwd = Path.cwd()
    return (f"no configuration file: looked for {cwd / 'consentkit.toml'} and {cwd / 'pyproject.toml'} "
            "(with [tool.consentkit])")


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

"""Runs the ``consentkit`` command line with the site's configuration instead of a TOML file."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import consentkit.config as config_module
from consentkit import cli
from consentkit.config import ConsentConfig


def run(argv: Sequence[str], config: ConsentConfig) -> int:
    """``consentkit ARGV``, where every command that would look for a config file gets `config`.

    A path or ``--config`` given on the command line still wins.
    """
    if "config" in inspect.signature(cli.main).parameters:
        return int(cli.main(list(argv), config=config))  # type: ignore[call-arg]
    with site_config(config):
        return int(cli.main(list(argv)))


@contextmanager
def site_config(config: ConsentConfig) -> Iterator[None]:
    """While the command runs, `load_config()` without a source (the file lookup) returns `config`."""
    original = config_module.load_config

    def load_site_config(source: Any = None, **kwargs: Any) -> ConsentConfig:
        if source is None and not kwargs:
            return config
        return original(source, **kwargs)

    config_module.load_config = load_site_config
    cli.load_config = load_site_config  # type: ignore[attr-defined]  # the name cli.py imported
    try:
        yield
    finally:
        config_module.load_config = original
        cli.load_config = original  # type: ignore[attr-defined]

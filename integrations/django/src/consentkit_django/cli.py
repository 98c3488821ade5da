"""Runs the ``consentkit`` command line with the site's configuration instead of a TOML file."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from consentkit import cli
from consentkit.config import ConsentConfig, load_config


def run(argv: Sequence[str], config: ConsentConfig) -> int:
    """``consentkit ARGV`` where commands that would read a config file get `config` instead.

    An explicit ``--config``/path on the command line still wins.
    """
    if "config" in inspect.signature(cli.main).parameters:
        return int(cli.main(list(argv), config=config))  # type: ignore[call-arg]
    with _site_config(config):
        return int(cli.main(list(argv)))


@contextmanager
def _site_config(config: ConsentConfig) -> Iterator[None]:
    original = cli._config

    def site_config(path: str | None) -> ConsentConfig:
        return load_config(path) if path else config

    cli._config = site_config
    try:
        yield
    finally:
        cli._config = original

"""Runs the ``consentkit`` command line with the site's configuration instead of a TOML file."""

from __future__ import annotations

from collections.abc import Sequence

from consentkit import cli
from consentkit.config import ConsentConfig


def run(argv: Sequence[str], config: ConsentConfig) -> int:
    """``consentkit ARGV``, where every command that would look for a config file gets `config`.

    A path or ``--config`` given on the command line still wins.
    """
    return cli.main(list(argv), config=config)

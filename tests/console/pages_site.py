"""The console with its own pages over a seeded store, for uvicorn: `uvicorn --factory
console.pages_site:make` (the configuration file comes from CK_TEST_CONFIG)."""

from __future__ import annotations

import os
from typing import Any

from consentkit.cli_context import CliContext
from consentkit.console import app


def make() -> Any:
    return app(CliContext().config(os.environ["CK_TEST_CONFIG"]))

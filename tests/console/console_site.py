"""The console with the tests' page set, for uvicorn: `uvicorn --factory console_site:make`
(the configuration file comes from CK_TEST_CONFIG)."""

from __future__ import annotations

import os
from typing import Any

from consentkit.cli_context import CliContext
from consentkit.console import app
from console.shell_helpers import PAGES, layout


def make() -> Any:
    config = CliContext().config(os.environ["CK_TEST_CONFIG"])
    return app(config, pages=PAGES, layout=layout)

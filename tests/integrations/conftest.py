"""Fixtures of the adapter tests: `server` starts a real server in a subprocess on a free port."""

from __future__ import annotations

import pytest

from servers import running


@pytest.fixture
def server() -> object:
    """`with server(argv, cwd=..., env=...) as srv:` → a started Server (``srv.base``), stopped after."""
    return running

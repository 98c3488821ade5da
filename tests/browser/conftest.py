"""Real-browser fixtures: the demo site under uvicorn in a subprocess, and headless Chromium."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.browser_helpers import Server
from servers import running

from conftest import page_maker

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
# Recorded before any page script runs: CSP violations and consentkit's DOM events.
RECORDER = """
window.__csp = []; window.__events = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
['change', 'withdraw'].forEach(function (n) {
  document.addEventListener('consentkit:' + n, function (e) { window.__events.push([n, e.detail]); });
});
"""



@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("browser") / "ck.db"
    argv = [sys.executable, "-m", "uvicorn", "demo_site:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
            "--port", "{port}", "--log-level", "warning", "--lifespan", "on"]
    env = {"CK_TEST_DB": str(db), "PYTHONPATH": str(ROOT / "src")}
    with running(argv, cwd=db.parent, env=env, ready="/_consent/state") as srv:
        yield Server(srv.base, db)


@pytest.fixture(scope="session")
def browser(server: Server, chromium: Any) -> Any:
    return chromium


@pytest.fixture
def new_page(browser: Any, server: Server) -> Iterator[Callable[..., Any]]:
    """`new_page(**context_options)` → a page in a fresh context (fresh cookies), recorder installed."""

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1024, "height": 720})
        return base(**options)

    with page_maker(browser, server.url, RECORDER) as base:
        yield make

"""The console's pages in a real browser (Debian Chromium) behind the real shell: an axe-core scan of
every page in both themes, no Content-Security-Policy violation, each role's navigation, the theme
switch, and a data subject's erasure from lookup to tombstone, checked with `consentkit events`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from consentkit.cli_context import CliContext
from consentkit.storage import open_store
from console.seeded import seed
from console.shell_helpers import HASHES, PASSWORDS, ROLES
from servers import BIN, running

from conftest import page_maker

pytestmark = pytest.mark.browser
TESTS = Path(__file__).resolve().parents[1]
AXE = Path(os.environ.get("CONSENTKIT_AXE_JS", str(files("axe_playwright_python") / "axe.min.js")))
MARCH = "from=2026-03-01&to=2026-03-04"
VIEWS = {f"/overview?{MARCH}": "Overview", f"/consent?{MARCH}": "Consent",
         "/log?from=2026-03-02&to=2026-03-03": "Collection log", "/ledger": "Ledger", "/ledger?verify=1": "Ledger",
         "/subjects": "Subjects", "/subjects?subject=v1": "Subjects", "/retention": "Retention",
         "/cookies": "Cookies", "/audit": "Audit"}
"""Every page, with data in it (the store holds March 2026), and the views that add to a page."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("console-pages")
    users = "".join(f'{n} = {{ role = "{ROLES[n]}", password_hash = "{HASHES[n]}" }}\n' for n in PASSWORDS)
    config_file = folder / "consentkit.toml"
    config_file.write_text(f'secret_keys = ["{"k" * 40}"]\nstorage_url = "sqlite:///{folder / "ck.db"}"\n'
                           f"[reports]\nmin_visitors = 1\n[console.users]\n{users}")
    config = CliContext().config(str(config_file))
    store = open_store(config.storage_url)
    try:
        seed(store, config)
    finally:
        store.close()
    argv = [str(BIN / "uvicorn"), "--factory", "console.pages_site:make", "--no-proxy-headers",
            "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning"]
    env = {"CK_TEST_CONFIG": str(config_file),
           "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent / "src")])}
    with running(argv, cwd=folder, env=env, ready="/login") as server:
        yield server.base, config_file


@pytest.fixture
def new_page(chromium: Any, site: tuple[str, Path]) -> Iterator[Callable[..., Any]]:
    with page_maker(chromium, site[0], "") as make:
        yield make


def log_in(page: Any, name: str) -> Any:
    page.goto("/login")
    page.fill("#ck-name", name)
    page.fill("#ck-password", PASSWORDS[name])
    with page.expect_navigation():
        page.click("form.login button[type=submit]")  # the header's language switch has a button too
    assert page.locator("nav.pages").count() == 1, page.url
    return page


def visit(page: Any, view: str) -> None:
    """Open `view` and check it is the page asked for (not the login form it would fall back to)."""
    assert page.goto(view).status == 200, view
    assert page.url.endswith(view) and page.locator("h1").inner_text() == VIEWS[view], view


def serious(page: Any) -> list[str]:
    page.add_script_tag(content=AXE.read_text("utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation_on_any_page(new_page: Callable[..., Any], scheme: str) -> None:
    assert AXE.is_file(), f"axe-core not found at {AXE}; install it or set CONSENTKIT_AXE_JS"
    page = log_in(new_page(bypass_csp=True, color_scheme=scheme), "olga")  # axe is an inline script
    background = {"light": "rgb(255, 255, 255)", "dark": "rgb(21, 23, 26)"}[scheme]
    for view in VIEWS:
        visit(page, view)
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background
        assert serious(page) == [], view


def test_no_page_breaks_the_content_security_policy(new_page: Callable[..., Any]) -> None:
    page = new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, "olga")
    for view in VIEWS:
        visit(page, view)
        assert page.locator("link[rel=stylesheet]").count() == 1
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "1100px", view
    assert blocked == []


def test_each_role_sees_its_pages_and_the_theme_switch_works_without_script(new_page: Callable[..., Any]) -> None:
    page = log_in(new_page(color_scheme="light", java_script_enabled=False), "vera")
    assert page.locator("nav.pages a").all_inner_texts() == ["Overview", "Consent", "Cookies"]
    assert page.goto("/log").status == 403
    visit(page, f"/overview?{MARCH}")
    assert page.locator("figure.chart svg").count() >= 2 and "2026-03-02" in page.locator("main").inner_text()
    page.click("label[for=theme]")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(21, 23, 26)"
    reviewer = log_in(new_page(), "rex")
    assert len(reviewer.locator("nav.pages a").all_inner_texts()) == 8
    reviewer.goto("/subjects?subject=v1")
    assert reviewer.locator("form.danger").count() == 0
    assert reviewer.goto("/subjects?subject=v1&download=json").status == 403


def test_an_officer_erases_a_subject_from_lookup_to_tombstone(new_page: Callable[..., Any],
                                                             site: tuple[str, Path]) -> None:
    page = log_in(new_page(java_script_enabled=False), "olga")
    page.goto("/subjects")
    page.fill("#f-subject", "v2")
    with page.expect_navigation():
        page.click("form.filters button")
    assert "c-v2" in page.locator("dl.facts").inner_text()
    page.fill("#f-confirm", "v3")  # the wrong id: nothing happens
    with page.expect_navigation():
        page.click("form.danger button")
    assert "nothing was erased" in page.locator(".notices").inner_text()
    page.goto("/subjects?subject=v2")
    page.fill("#f-confirm", "v2")
    with page.expect_navigation():
        page.click("form.danger button")
    assert "Erased: 4 events removed, 1 ledger records redacted." in page.locator(".notices").inner_text()
    assert "v2" in page.locator("section", has_text="Tombstones").inner_text()
    page.goto("/log?visitor=v2&from=2026-03-02&to=2026-03-03")
    assert "No events match." in page.content()
    cli = subprocess.run([sys.executable, "-m", "consentkit.cli", "events", "--visitor", "v2", "--config",
                          str(site[1])], capture_output=True, text=True, timeout=60, cwd=site[1].parent)
    assert cli.returncode == 0 and cli.stdout == ""
    left = subprocess.run([sys.executable, "-m", "consentkit.cli", "export", "--subject", "c-v2", "--config",
                           str(site[1])], capture_output=True, text=True, timeout=60, cwd=site[1].parent)
    doc = json.loads(left.stdout)
    assert doc["events"] == [] and doc["ledger"][0]["ip"] is None and doc["tombstones"][0]["subject"] == "v2"

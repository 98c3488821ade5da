"""One site in a real browser: an opt-out notice for a visitor from California (located by the
CDN's headers), whose link opens the choices, and the opt-in banner for one from Germany (located
by GeoIP)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from browser.browser_helpers import Server, cookie_names, open_banner, post_of_choice
from servers import running

from conftest import page_maker

pytestmark = pytest.mark.browser
HERE = Path(__file__).parent
ROOT = HERE.parent.parent
CALIFORNIA = {"cf-ipcountry": "US", "cf-region-code": "CA"}
GERMANY = {"x-forwarded-for": "2a02:d180::1"}


@pytest.fixture(scope="module")
def regional_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("regional") / "ck.db"
    argv = [sys.executable, "-m", "uvicorn", "regional_site:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
            "--port", "{port}", "--log-level", "warning"]
    env = {"CK_TEST_DB": str(db), "PYTHONPATH": str(ROOT / "src")}
    with running(argv, cwd=db.parent, env=env, ready="/_consent/state") as srv:
        yield Server(srv.base, db)


@pytest.fixture
def visitor(chromium: Any, regional_server: Server) -> Iterator[Callable[..., Any]]:
    """`visitor(headers)` → a page in a fresh context whose requests carry what the CDN would add."""
    with page_maker(chromium, regional_server.url, "") as make:
        yield lambda headers, **options: make(extra_http_headers=headers, viewport={"width": 1024, "height": 720},
                                              **options)


def test_californian_gets_the_opt_out_notice_and_its_link_opens_the_choices(visitor: Any) -> None:
    page = visitor(CALIFORNIA)
    open_banner(page)
    assert page.locator("#regime").inner_text() == "us_opt_out"
    assert page.locator("#marketing").inner_text() == "marketing allowed: yes"  # until they opt out
    notice = page.locator("#ck-l1")
    expect(notice).to_be_visible()
    assert notice.get_attribute("data-mode") == "opt_out"
    assert not notice.locator("button[value=accept_all]").count()
    link = notice.locator("a.ck-optout")
    expect(link).to_have_text("Do Not Sell or Share My Personal Information")
    expect(link.locator("svg.ck-optout-icon")).to_be_visible()
    link.click()
    choices = page.locator("#ck-l2")
    expect(choices).to_be_visible()
    # what is in effect before a choice is shown switched on
    expect(choices.locator("#ck-c-marketing")).to_be_checked()
    choices.locator("#ck-c-marketing").uncheck()
    with post_of_choice(page) as resp:
        choices.locator("button[value=choose]").click()
    state = resp.value.json()
    assert state["regime"] == "us_opt_out" and "marketing" not in state["effective"]
    assert "analytics" in state["effective"]
    expect(choices).to_be_hidden()
    page.reload()
    assert page.locator("#marketing").inner_text() == "marketing allowed: no"
    expect(page.locator("#ck-l1")).to_be_hidden()
    expect(page.locator(".ck-fab.ck-optout")).to_be_visible()  # the link stays within reach
    assert page.js_errors == []


def test_the_notice_can_be_dismissed_without_choosing(visitor: Any) -> None:
    page = visitor(CALIFORNIA)
    open_banner(page)
    page.locator("#ck-l1 .ck-dismiss").click()
    expect(page.locator("#ck-l1")).to_be_hidden()
    page.reload()
    page.wait_for_function("window.consentkit && typeof window.consentkit.get === 'function'")
    expect(page.locator("#ck-l1")).to_be_hidden()
    assert page.evaluate("window.consentkit.get().choice_made") is False  # dismissing is no choice
    assert page.js_errors == []


def test_gpc_opts_the_californian_out_of_sale_and_sharing(visitor: Any) -> None:
    page = visitor({**CALIFORNIA, "sec-gpc": "1"})
    open_banner(page)
    assert page.locator("#marketing").inner_text() == "marketing allowed: no"
    expect(page.locator("#ck-l1 .ck-signal")).to_contain_text("Global Privacy Control")
    assert page.js_errors == []


def test_german_visitor_gets_the_opt_in_banner_on_the_same_site(visitor: Any) -> None:
    page = visitor(GERMANY)
    open_banner(page)
    assert page.locator("#regime").inner_text() == "gdpr"
    assert page.locator("#marketing").inner_text() == "marketing allowed: no"
    first = page.locator("#ck-l1")
    expect(first).to_be_visible()
    assert not first.locator(".ck-optout").count()
    expect(first.locator("button[value=accept_all]")).to_be_visible()
    expect(first.locator("button[value=reject_all]")).to_be_visible()
    with post_of_choice(page) as resp:
        first.locator("button[value=reject_all]").click()
    assert resp.value.json()["regime"] == "gdpr"
    assert "ck_vid" not in cookie_names(page)
    assert page.js_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation_in_the_opt_out_notice(visitor: Any, scheme: str) -> None:
    from browser.test_browser_a11y import AXE, run_axe

    page = visitor(CALIFORNIA, bypass_csp=True, color_scheme=scheme)
    open_banner(page)
    page.add_script_tag(content=AXE.read_text("utf-8"))
    assert run_axe(page) == []
    page.locator("#ck-l1 a.ck-optout").click()
    page.wait_for_timeout(250)  # let the opening animation finish
    assert run_axe(page) == []


def test_the_opt_out_link_works_without_javascript(visitor: Any) -> None:
    page = visitor(CALIFORNIA, java_script_enabled=False)
    page.goto("/")
    page.locator("#ck-l1 a.ck-optout").click()
    expect(page.locator("#ck-l2")).to_be_visible()
    page.locator("#ck-c-marketing").uncheck()
    page.locator("#ck-l2 button[value=choose]").click()
    expect(page.locator("#marketing")).to_have_text("marketing allowed: no")

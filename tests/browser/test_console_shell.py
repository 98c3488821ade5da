"""The console's shell in a real browser (Debian Chromium): log in, a page the role may not see,
CSRF refusals (a forged token, and a form posted from another site), lock-out after failed logins."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from console.shell_helpers import HASHES, PASSWORDS, ROLES
from servers import BIN, running

from conftest import page_maker

pytestmark = pytest.mark.browser
TESTS = Path(__file__).resolve().parents[1]
ATTACKER = "http://evil.consentkit.test"


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("console")
    users = "".join(f'{n} = {{ role = "{ROLES[n]}", password_hash = "{HASHES[n]}" }}\n' for n in PASSWORDS)
    config = folder / "consentkit.toml"
    config.write_text(f'secret_keys = ["{"k" * 40}"]\nstorage_url = "sqlite:///{folder / "ck.db"}"\n'
                      f"[console]\nlogin_attempts = 3\n[console.users]\n{users}")
    argv = [str(BIN / "uvicorn"), "--factory", "console.console_site:make", "--no-proxy-headers",
            "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning"]
    env = {"CK_TEST_CONFIG": str(config), "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent / "src")])}
    with running(argv, cwd=folder, env=env, ready="/login") as server:
        yield server.base


@pytest.fixture
def new_page(chromium: Any, console_url: str) -> Iterator[Callable[..., Any]]:
    with page_maker(chromium, console_url, "") as make:
        yield make


def log_in(page: Any, name: str, password: str | None = None) -> Any:
    page.goto("/login")
    page.fill("#ck-name", name)
    page.fill("#ck-password", PASSWORDS[name] if password is None else password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def blocked_by_csp(page: Any) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


def test_a_reviewer_logs_in_sees_their_pages_and_logs_out(new_page: Callable[..., Any]) -> None:
    page = new_page()
    csp = blocked_by_csp(page)
    assert page.goto("/log").url.endswith("/login?next=/log")
    log_in(page, "rex")
    assert page.url.endswith("/overview") and page.locator("#who").inner_text() == "rex as reviewer"
    cookie = next(c for c in page.context.cookies() if c["name"] == "ck_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.goto("/log?visitor=v1").status == 200 and "events of v1" in page.content()
    with page.expect_navigation():
        page.click("text=Log out")
    assert page.url.endswith("/login")
    assert page.goto("/log").url.endswith("/login?next=/log")
    assert csp == [] and page.js_errors == []


def test_a_viewer_is_refused_a_reviewers_page(new_page: Callable[..., Any]) -> None:
    page = log_in(new_page(), "vera")
    response = page.goto("/log")
    assert response.status == 403
    assert "the role viewer may not open this page; it needs reviewer" in page.locator(".refusal").inner_text()
    assert page.goto("/subjects").status == 403


def test_a_forged_token_and_a_form_from_another_site_are_refused(new_page: Callable[..., Any],
                                                                  console_url: str) -> None:
    page = log_in(new_page(), "olga")
    page.goto("/subjects")
    page.locator("input[name=csrf]").first.evaluate("input => { input.value = 'forged' }")
    page.fill("input[name=subject]", "vis-1")
    page.fill("input[name=confirm]", "vis-1")
    with page.expect_navigation() as nav:
        page.click("text=Erase")
    assert nav.value.status == 403 and "CSRF token" in page.content()

    # Another site's page posting to the console: the login cookie (SameSite=Strict) does not go
    # along, and that site cannot know the token.
    attack = (f'<form method=post action="{console_url}/subjects"><input name=subject value=vis-1>'
              '<input name=confirm value=vis-1><input name=csrf value=guess><button>win</button></form>')
    page.route(f"{ATTACKER}/", lambda route: route.fulfill(status=200, content_type="text/html", body=attack))
    page.goto(f"{ATTACKER}/")
    with page.expect_navigation() as nav:
        page.click("text=win")
    assert nav.value.status == 403
    # still logged in: the refusal did not replace the login cookie
    assert page.goto(f"{console_url}/subjects").status == 200 and page.url == f"{console_url}/subjects"


def test_failed_logins_lock_out_even_the_right_password(new_page: Callable[..., Any]) -> None:
    page = new_page()
    for _ in range(3):
        log_in(page, "olga", "a wrong guess")
        assert "Wrong user name or password." in page.content()
    log_in(page, "olga")
    assert "Too many failed logins" in page.content()
    assert page.url.endswith("/login")
    assert page.goto("/subjects").url.endswith("/login?next=/subjects")

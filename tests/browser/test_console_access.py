"""Who may do what in the console, in a real browser (Debian Chromium), served by `consentkit console`
itself (uvicorn) over a seeded store: every page opened by every role (200 or 403), the actions a
reviewer may not take, every page and its forms without JavaScript, and the access log's record of
an erasure and of a forged one (refused, nothing erased)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from consentkit.cli_context import CliContext
from consentkit.storage import open_store
from console.seeded import seed
from console.shell_helpers import HASHES, PASSWORDS, ROLES, SECRET
from servers import BIN, running

from conftest import page_maker

pytestmark = pytest.mark.browser
# Each role's pages in navigation order, as docs/console.md's role table states them.
NAV = {
    "viewer": ["Overview", "Consent", "Cookies"],
    "reviewer": ["Overview", "Consent", "Collection log", "Ledger", "Subjects", "Retention", "Cookies", "Audit"],
    "officer": ["Overview", "Consent", "Collection log", "Ledger", "Subjects", "Retention", "Cookies", "Audit"],
}
PATHS = {"Overview": "/overview", "Consent": "/consent", "Collection log": "/log", "Ledger": "/ledger",
         "Subjects": "/subjects", "Retention": "/retention", "Cookies": "/cookies", "Audit": "/audit",
         "Access log": "/access"}
OPENS = {**NAV, "officer": [*NAV["officer"], "Access log"]}  # the access log is linked from no page list
USER_OF = {role: name for name, role in ROLES.items()}
DAYS = "from=2026-03-02&to=2026-03-03"  # the seeded traffic (tests/console/seeded.py)
ERASED, FORGED = "v3", "v4"


@dataclass(frozen=True)
class Console:
    url: str
    storage_url: str


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-access")
    storage_url = f"sqlite:///{folder / 'ck.db'}"
    users = "".join(f'{n} = {{ role = "{ROLES[n]}", password_hash = "{HASHES[n]}" }}\n' for n in PASSWORDS)
    config = folder / "consentkit.toml"
    config.write_text(f'secret_keys = ["{SECRET}"]\nstorage_url = "{storage_url}"\n'
                      f"[reports]\nmin_visitors = 1\n[console.users]\n{users}")
    store = open_store(storage_url)
    try:
        seed(store, CliContext().config(str(config)))
    finally:
        store.close()
    argv = [str(BIN / "consentkit"), "console", "--config", str(config), "--host", "127.0.0.1", "--port", "{port}"]
    with running(argv, cwd=folder, ready="/login") as server:
        yield Console(server.base, storage_url)


@pytest.fixture(scope="module")
def new_page(chromium: Any, console: Console) -> Iterator[Callable[..., Any]]:
    with page_maker(chromium, console.url, "") as make:
        yield make


def log_in(page: Any, role: str) -> Any:
    name = USER_OF[role]
    page.goto("/login")
    page.fill("#ck-name", name)
    page.fill("#ck-password", PASSWORDS[name])
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    assert page.url.endswith("/overview"), page.url
    return page


def csrf_token(page: Any) -> str:
    return str(page.locator("input[name=csrf]").first.input_value())


def cli_events(console: Console, *selector: str) -> list[dict[str, Any]]:
    done = subprocess.run([str(BIN / "consentkit"), "events", "--storage-url", console.storage_url, *selector],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def access_rows(console: Console, action: str) -> list[tuple[Any, ...]]:
    store = open_store(console.storage_url)
    try:
        return list(store.query("SELECT user_name, role, action, subject, detail FROM ck_access_log"
                                " WHERE action = ? ORDER BY seq", (action,)))
    finally:
        store.close()


@pytest.mark.parametrize("role", ["viewer", "reviewer", "officer"])
def test_each_role_opens_exactly_its_pages(new_page: Callable[..., Any], console: Console, role: str) -> None:
    def refusals() -> int:
        return sum(1 for r in access_rows(console, "role_refused") if r[0] == USER_OF[role])

    already = refusals()
    page = log_in(new_page(), role)
    assert page.locator("header .who span").inner_text() == f"Signed in as {USER_OF[role]} ({role})"
    assert page.locator("nav.pages a").all_inner_texts() == NAV[role]
    for name, path in PATHS.items():
        response = page.goto(path)
        if name in OPENS[role]:
            assert response.status == 200 and page.locator("main h1").inner_text() == name, (role, path)
        else:
            assert response.status == 403, (role, path)
            assert f"the role {role} may not open this page" in page.locator(".refusal").inner_text()
    assert refusals() - already == len(PATHS) - len(OPENS[role])


def test_a_reviewer_may_look_but_neither_erase_purge_nor_download_a_subject(new_page: Callable[..., Any],
                                                                           console: Console) -> None:
    page = log_in(new_page(), "reviewer")
    page.goto(f"/subjects?subject={FORGED}")
    assert page.locator("main table caption", has_text="Events").count() == 1
    assert page.locator("form.danger").count() == 0
    token = csrf_token(page)
    erase = page.request.post("/subjects", form={"csrf": token, "subject": FORGED, "confirm": FORGED})
    assert erase.status == 403 and "needs officer" in erase.text()
    page.goto("/retention")
    assert page.locator("form.actions button").count() == 0
    purge = page.request.post("/retention", form={"csrf": csrf_token(page), "action": "run"})
    assert purge.status == 403 and "needs officer" in purge.text()
    assert page.goto(f"/subjects?subject={FORGED}&download=json").status == 403
    assert len(cli_events(console, "--visitor", FORGED)) == 2
    assert [r[0] for r in access_rows(console, "erase_subject")] in ([], ["olga"])  # never the reviewer


def test_every_page_and_its_forms_work_without_javascript(new_page: Callable[..., Any]) -> None:
    page = new_page(java_script_enabled=False)
    log_in(page, "officer")  # the login form itself
    for name in NAV["officer"]:
        with page.expect_navigation() as nav:
            page.click(f"nav.pages a:text-is('{name}')")
        assert nav.value.status == 200 and page.locator("main h1").inner_text() == name
        assert page.locator("nav.pages a[aria-current=page]").inner_text() == name
    assert page.goto("/access").status == 200 and page.locator("main table").count() == 1
    # GET forms: the overview's period (its charts are drawn on the server), the log's filters, a lookup
    page.goto("/overview")
    page.fill("input[name=from]", "2026-03-02")
    page.fill("input[name=to]", "2026-03-03")
    with page.expect_navigation():
        page.click("main form.filters button")
    assert "from=2026-03-02" in page.url and page.locator("figure.chart svg").count() >= 1
    page.goto("/log")
    page.fill("input[name=visitor]", "v0")
    page.fill("input[name=from]", "2026-03-02")
    page.fill("input[name=to]", "2026-03-03")
    with page.expect_navigation():
        page.click("main form.filters button")
    assert len(page.locator("main table tbody tr").all_inner_texts()) == 4  # two days, / and /pricing
    page.goto("/subjects")
    page.fill("input[name=subject]", "v1")
    with page.expect_navigation():
        page.click("main form.filters button")
    assert "c-v1" in page.locator("dl.facts").inner_text()
    # POST forms: running the audit, a purge's dry run
    page.goto("/audit")
    with page.expect_navigation() as nav:
        page.click("main form.actions button")
    assert nav.value.status == 200 and page.locator("main h1").inner_text() == "Audit"
    assert page.locator("main").inner_text().count("Result of this run") == 1
    page.goto("/retention")
    with page.expect_navigation() as nav:
        page.click("main form.actions button >> nth=0")
    assert nav.value.status == 200 and page.locator(".notices").count() == 1
    # and the header's language switch
    page.select_option("#lang-switch", "de")
    with page.expect_navigation():
        page.click("form.lang button")
    assert page.locator("html").get_attribute("lang") == "de" and "lang=de" in page.url


def test_the_access_log_keeps_an_erasure_and_a_forged_one_erases_nothing(new_page: Callable[..., Any],
                                                                          console: Console) -> None:
    page = log_in(new_page(), "officer")
    before = len(cli_events(console, "--visitor", ERASED))
    assert before > 0 and len(cli_events(console, "--consent", f"c-{ERASED}")) == before

    page.goto(f"/subjects?subject={FORGED}")
    page.locator("form.danger input[name=csrf]").evaluate("input => { input.value = 'forged' }")
    page.fill("input[name=confirm]", FORGED)
    with page.expect_navigation() as nav:
        page.click("form.danger button")
    assert nav.value.status == 403 and "CSRF token" in page.content()
    assert page.request.post("/subjects", form={"subject": FORGED, "confirm": FORGED}).status == 403  # no token
    assert len(cli_events(console, "--visitor", FORGED)) == 2
    assert [r[:2] for r in access_rows(console, "csrf_refused")] == [("olga", "officer")] * 2

    page.goto(f"/subjects?subject={ERASED}")
    page.fill("input[name=confirm]", ERASED)
    with page.expect_navigation():
        page.click("form.danger button")
    notice = page.locator(".notices").inner_text().strip()
    assert notice == f"Erased: {before} events removed, 1 ledger records redacted."
    erased = access_rows(console, "erase_subject")
    assert [r[:4] for r in erased] == [("olga", "officer", "erase_subject", ERASED)]
    detail = json.loads(erased[0][4])
    assert detail["events_removed"] == str(before) and detail["ledger_redacted"] == "1" and detail["tombstone"]
    assert cli_events(console, "--consent", f"c-{ERASED}") == []
    page.goto(f"/log?visitor={ERASED}&{DAYS}")
    assert "No events match." in page.content()
    page.goto(f"/access?subject={ERASED}")
    rows = [r.split("\t") for r in page.locator("main table tbody tr").all_inner_texts()]
    shown = [json.loads(r[7]) for r in rows if r[5] == "erase_subject" and r[6] == ERASED]
    assert shown == [detail]
    assert "verif" in page.locator("main p.ok").inner_text().lower()

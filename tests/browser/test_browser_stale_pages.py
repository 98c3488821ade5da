"""Pages that outlive a choice: Back after a withdrawal (with the back/forward cache on and off)
and a second tab. Against the FastAPI example site under uvicorn, whose
home page has a gated embed, a gated script and the chat."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from servers import running

from conftest import CHROMIUM_ARGS, page_maker

pytestmark = [pytest.mark.browser, pytest.mark.server]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app"
# In the top frame only: whether the page came back from the back/forward cache (kept across reloads).
RECORDER = """
if (window === window.top) addEventListener('pageshow', function (e) {
  if (e.persisted) sessionStorage.setItem('restored', '1');
});
"""
GATED = ("/embed", "/chat-widget.js")
# The chat is never offered to a known bot, and headless Chromium says it is one.
BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0"
           " Safari/537.36")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("stale-pages")
    db = folder / "ck.db"
    argv = [sys.executable, "-m", "uvicorn", "app:app", "--app-dir", str(EXAMPLE), "--host", "127.0.0.1",
            "--port", "{port}", "--log-level", "warning"]
    env = {"CONSENTKIT_STORAGE_URL": f"sqlite:///{db}", "CONSENTKIT_SECRET_KEYS": "stale-pages-" + "s" * 40}
    with running(argv, cwd=folder, env=env, ready="/_consent/state") as srv:
        yield srv.base, db


@pytest.fixture(scope="module")
def bfcache_browser(chromium: Any) -> Iterator[Any]:
    """A second Chromium with the back/forward cache on (Playwright turns it off by default)."""
    browser = chromium.browser_type.launch(
        executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, ignore_default_args=["--disable-back-forward-cache"]
    )
    yield browser
    browser.close()


@pytest.fixture
def pages(chromium: Any, site: tuple[str, Path]) -> Iterator[Callable[..., Any]]:
    """`pages()` → a page in a fresh context; `pages(context=page.context)` → another tab beside it."""
    with page_maker(chromium, site[0], RECORDER) as make:
        yield tab_maker(make)


@pytest.fixture
def bfcache_pages(bfcache_browser: Any, site: tuple[str, Path]) -> Iterator[Callable[..., Any]]:
    with page_maker(bfcache_browser, site[0], RECORDER) as make:
        yield tab_maker(make)


def tab_maker(make: Callable[..., Any]) -> Callable[..., Any]:
    def tab(context: Any = None) -> Any:
        if context is None:
            page = make(user_agent=BROWSER)
        else:
            page = context.new_page()
            page.js_errors = []
            page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        page.set_default_timeout(5_000)
        sent: list[str] = []
        page.on("request", lambda r: sent.append(r.method + " " + r.url.split("?")[0]))
        page.sent = sent
        return page

    return tab


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_function("window.consentkit")


def choose(page: Any, action: str) -> dict[str, Any]:
    """Accept or reject all through the banner's settings button (or its first layer)."""
    if page.locator(".ck-fab").is_visible():
        page.click(".ck-fab")
        button = f"#ck-l2 button[value={action}]"
    else:
        button = f"#ck-l1 button[value={action}]"
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/_consent")) as resp:
        page.click(button)
    assert resp.value.status == 200
    data: dict[str, Any] = resp.value.json()
    return data


def everything_loaded(page: Any) -> None:
    page.wait_for_function("document.documentElement.dataset.analytics === 'on'")
    page.frame_locator("iframe[src='/embed']").locator("body").wait_for()
    page.locator("#demo-chat").wait_for()


def nothing_gated(page: Any) -> None:
    """Only what is necessary is on the page: placeholders, no frame, no gated script, no chat."""
    page.wait_for_function("window.consentkit && document.querySelector('.ck-embed') && "
                           "document.getElementById('consentkit-chat-ph')")
    page.wait_for_timeout(200)  # anything still to load would have started by now
    assert page.evaluate("document.querySelectorAll('iframe').length") == 0
    assert page.evaluate("document.documentElement.dataset.analytics") is None
    assert page.locator("#demo-chat").count() == 0


def requested(page: Any, since: int, paths: tuple[str, ...]) -> list[str]:
    return [s for s in page.sent[since:] if s.split(" ", 1)[1].endswith(paths)]


# -- Back after a withdrawal -----------------------------------------------------------------------

def back_after_withdrawal(page: Any, site: str, withdraw: Callable[[Any], None]) -> int:
    """Accept all on the home page, go to another page, withdraw there, press Back."""
    ready(page, "/")
    choose(page, "accept_all")
    everything_loaded(page)
    page.click("nav a[href='/teas']")
    page.wait_for_url("**/teas")
    page.wait_for_function("window.consentkit")
    withdraw(page)
    since = len(page.sent)
    page.go_back(wait_until="commit")
    return since


def reject_in_banner(page: Any) -> None:
    assert choose(page, "reject_all")["granted"] == []


def reject_unannounced(page: Any) -> None:
    """A change no page announces (the site's own API call, say): only the choice cookie knows."""
    origin = page.url.split("/teas")[0]
    resp = page.context.request.post("/_consent", data={"action": "reject_all"}, headers={"origin": origin})
    assert resp.status == 200 and resp.json()["granted"] == []


@pytest.mark.parametrize("cache", ["bfcache-off", "bfcache-on"])
def test_back_after_reject_loads_no_gated_embed_script_or_chat(
    cache: str, pages: Callable[..., Any], bfcache_pages: Callable[..., Any], site: tuple[str, Path]
) -> None:
    page = (bfcache_pages if cache == "bfcache-on" else pages)()
    since = back_after_withdrawal(page, site[0], reject_in_banner)
    nothing_gated(page)
    assert requested(page, since, GATED) == []
    assert page.js_errors == []


def test_page_restored_from_the_back_forward_cache_asks_again_and_unloads(
    bfcache_pages: Callable[..., Any], site: tuple[str, Path]
) -> None:
    page = bfcache_pages()
    since = back_after_withdrawal(page, site[0], reject_unannounced)
    page.wait_for_function("sessionStorage.getItem('restored')")  # the page did come back from the cache
    nothing_gated(page)
    # A gated script had run there: the page was loaded again, now with only what is necessary.
    assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"
    assert f"GET {site[0]}/_consent/state" in page.sent[since:]
    assert requested(page, since, GATED) == []
    assert page.js_errors == []


def test_restored_page_without_gated_script_unloads_the_embed_in_place(
    bfcache_pages: Callable[..., Any], site: tuple[str, Path]
) -> None:
    page = bfcache_pages()
    ready(page, "/")
    assert page.evaluate("consentkit.set(['marketing']).then(s => s.effective)") == ["marketing", "necessary"]
    page.frame_locator("iframe[src='/embed']").locator("body").wait_for()
    page.evaluate("window.samePage = true")
    page.click("nav a[href='/teas']")
    page.wait_for_url("**/teas")
    reject_unannounced(page)
    page.go_back(wait_until="commit")
    page.wait_for_function("sessionStorage.getItem('restored')")
    page.wait_for_function("document.querySelector('.ck-embed')")
    assert page.evaluate("document.querySelectorAll('iframe').length") == 0
    assert page.evaluate("window.samePage") is True  # no script had run: no reload needed
    assert page.evaluate("consentkit.get().effective") == ["necessary"]


# -- A second tab ----------------------------------------------------------------------------------

def ledger(db: Path) -> list[tuple[str, str]]:
    from consentkit.storage import open_store

    store = open_store(f"sqlite:///{db}", migrate=False)
    try:
        rows = store.query("SELECT consent_id, granted FROM ck_ledger ORDER BY seq")
        return [(str(c), ",".join(json.loads(g))) for c, g in rows]
    finally:
        store.close()


def stored_events(
    db: Path, kind: str, consent_id: str, paths: tuple[str, ...], count: int = 1, column: str = "basis"
) -> list[tuple[Any, ...]]:
    """(path, column) of the stored events of one kind for a consent id on these paths, once `count`
    are there or 1.5 s passed (the writer flushes about once a second)."""
    from consentkit.storage import open_store

    store = open_store(f"sqlite:///{db}", migrate=False)
    marks = ", ".join("?" * len(paths))
    try:
        rows: list[tuple[Any, ...]] = []
        for _ in range(15):
            rows = store.query(
                f"SELECT path, {column} FROM ck_events WHERE kind = ? AND consent_id = ? AND path IN ({marks})"
                " ORDER BY id", (kind, consent_id, *paths),
            )
            if len(rows) >= count:
                break
            time.sleep(0.1)
        return rows
    finally:
        store.close()


@pytest.mark.parametrize("placeholder", ["embed", "chat"])
@pytest.mark.parametrize("withdrawn", ["in another tab", "unannounced"])
def test_placeholder_on_a_stale_page_adds_only_its_category(
    placeholder: str, withdrawn: str, pages: Callable[..., Any], site: tuple[str, Path]
) -> None:
    stale = pages()
    ready(stale, "/")
    granted = stale.evaluate("consentkit.set(['analytics']).then(s => s.granted)")
    assert granted == ["analytics"]
    ready(stale, "/")  # the page is rendered while analytics is allowed
    stale.wait_for_function("document.documentElement.dataset.analytics === 'on'")
    consent_id = stale.evaluate("consentkit.get().consent_id")
    if withdrawn == "unannounced":
        reject_unannounced(stale)
        assert stale.evaluate("consentkit.get().effective") == ["analytics", "necessary"]  # stale
    else:
        other = pages(context=stale.context)
        ready(other, "/")
        reject_in_banner(other)
        stale.wait_for_function("window.consentkit && consentkit.get().granted.length === 0")
    name = "Allow and load" if placeholder == "embed" else "Allow and open chat"
    category = "marketing" if placeholder == "embed" else "chat"
    with stale.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/_consent")) as resp:
        stale.get_by_role("button", name=name).press("Enter")
    assert resp.value.json()["granted"] == [category]
    assert ledger(site[1])[-2:] == [(consent_id, ""), (consent_id, category)]
    # Without analytics a page view is only counted, not stored: the next one stored is the one
    # after the visitor allows analytics again.
    stale.goto("/teas")
    assert stale.evaluate("consentkit.add(['analytics']).then(s => s.granted)") == ["analytics", category]
    stale.goto("/privacy")
    rows = stored_events(site[1], "pageview", consent_id, ("/teas", "/privacy"))
    assert rows == [("/privacy", f"analytics,{category},necessary")]


def test_other_tabs_follow_a_change_made_in_one(pages: Callable[..., Any]) -> None:
    first = pages()
    ready(first, "/")
    choose(first, "reject_all")
    first.evaluate("window.samePage = true")
    second = pages(context=first.context)
    ready(second, "/teas")
    choose(second, "accept_all")
    everything_loaded(first)  # loaded in the first tab, without a reload
    assert first.evaluate("window.samePage") is True
    assert first.evaluate("consentkit.get().granted") == ["analytics", "chat", "marketing", "preferences"]
    assert first.locator(".ck-embed").count() == 0
    since = len(first.sent)
    choose(second, "reject_all")
    # Gated code ran in the first tab and cannot be unloaded: it loads again, with only what is necessary.
    first.wait_for_function("performance.getEntriesByType('navigation')[0].type === 'reload'")
    nothing_gated(first)
    assert requested(first, since, GATED) == []
    assert first.js_errors == [] and second.js_errors == []

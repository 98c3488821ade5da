"""The chat in a real browser: consentkit under uvicorn, a local fake provider, headless Chromium."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from servers import running

from conftest import CHROMIUM_ARGS, page_maker

pytestmark = [pytest.mark.browser, pytest.mark.server]

HERE = Path(__file__).parent
RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("chat-browser")
    argv = [sys.executable, "-m", "uvicorn", "chat_site:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
            "--port", "{port}", "--log-level", "warning", "--lifespan", "on"]
    env = {"CK_CHAT_DB": str(folder / "ck.db"), "PYTHONPATH": str(HERE.parents[1] / "src")}
    with running(argv, cwd=folder, env=env, ready="/_consent/state") as srv:
        yield srv.base, srv.log


@pytest.fixture(scope="module")
def browser(server: tuple[str, Path], chromium: Any) -> Any:
    return chromium


@pytest.fixture
def new_page(browser: Any, server: tuple[str, Path]) -> Iterator[Callable[[], Any]]:
    with page_maker(browser, server[0], RECORDER) as make:
        yield make


def cookie_names(page: Any) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def test_placeholder_grants_chat_and_loads_the_widget_without_reload(new_page: Callable[[], Any]) -> None:
    page = new_page()
    page.goto("/")
    placeholder = page.locator("#consentkit-chat-ph")
    placeholder.wait_for(state="visible")
    assert "Chat with us — this loads the chat service" in placeholder.inner_text()
    assert page.locator("#fake-chat-button").count() == 0 and "twk_fake" not in cookie_names(page)
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: r.url.endswith("/_consent/chat/click")) as click, page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/_consent")
    ) as grant:
        page.get_by_role("button", name="Allow and open chat").click()
    assert click.value.status == 204 and grant.value.status == 200
    button = page.locator("#fake-chat-button")
    button.wait_for(state="visible")
    assert button.get_attribute("data-site") == "acme"
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("window.fakeChatLoads") == 1 and placeholder.count() == 0
    assert "chat" in page.request.get("/_consent/state").json()["effective"]
    assert page.evaluate("window.__csp") == [] and page.js_errors == []

    page.goto("/other")  # consent given: the widget comes straight away, with the visit's pages
    page.locator("#fake-chat-button").wait_for(state="visible")
    assert page.locator("#consentkit-chat-ph").count() == 0
    assert page.evaluate("window.__csp") == [] and page.js_errors == []


def test_rules_keep_the_chat_off_and_a_failing_hook_never_breaks_the_page(
    new_page: Callable[[], Any], server: tuple[str, Path]
) -> None:
    page = new_page()
    assert page.goto("/no-chat").status == 200
    assert page.locator("#consentkit-chat").count() == 0 and page.locator("#consentkit-chat-ph").count() == 0
    response = page.goto("/boom")
    assert response.status == 200 and page.locator("h1").inner_text() == "Shop"
    assert page.locator("#consentkit-chat-ph").count() == 0 and page.locator("#fake-chat-button").count() == 0
    page.goto("/")
    page.locator("#consentkit-chat-ph").wait_for(state="visible")
    assert page.js_errors == []
    deadline = time.monotonic() + 5
    while "chat rule explode_on_boom raised" not in server[1].read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "RuntimeError: this rule is broken on purpose" in server[1].read_text()


def test_chat_only_with_consent_even_after_the_category_is_withdrawn(new_page: Callable[[], Any]) -> None:
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Allow and open chat").click()
    page.locator("#fake-chat-button").wait_for(state="visible")
    withdrawn = page.request.post("/_consent", data={"grant": []}, headers={"origin": page.url.rsplit("/", 1)[0]})
    assert withdrawn.status == 200 and "chat" not in withdrawn.json()["effective"]
    page.goto("/")
    page.locator("#consentkit-chat-ph").wait_for(state="visible")
    assert page.locator("#fake-chat-button").count() == 0
    assert "twk_fake" not in cookie_names(page)  # the provider's cookie was expired by cookie control


@pytest.fixture(scope="module")
def bfcache_browser(chromium: Any) -> Iterator[Any]:
    """A second Chromium with the back/forward cache on (Playwright turns it off by default)."""
    browser = chromium.browser_type.launch(
        executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, ignore_default_args=["--disable-back-forward-cache"]
    )
    yield browser
    browser.close()


def test_a_page_restored_from_the_cache_without_the_banner_drops_a_withdrawn_widget(
    bfcache_browser: Any, server: tuple[str, Path]
) -> None:
    init = "addEventListener('pageshow', e => { if (e.persisted) sessionStorage.setItem('restored', '1'); });"
    with page_maker(bfcache_browser, server[0], RECORDER + init) as make:
        page = make()
        page.goto("/")
        page.get_by_role("button", name="Allow and open chat").click()
        page.locator("#fake-chat-button").wait_for(state="visible")
        page.goto("/other")
        withdrawn = page.request.post("/_consent", data={"grant": []}, headers={"origin": server[0]})
        assert withdrawn.status == 200 and "chat" not in withdrawn.json()["effective"]
        page.go_back(wait_until="commit")
        page.wait_for_function("() => sessionStorage.getItem('restored')")  # it did come from the cache
        page.wait_for_function("() => performance.getEntriesByType('navigation')[0].type === 'reload'",
                               timeout=5_000)
        page.locator("#consentkit-chat-ph").wait_for(state="visible")
        assert page.locator("#fake-chat-button").count() == 0


PRESET_SCRIPTS = {
    "livechat": "https://cdn.livechatinc.com/tracking.js",
    "tawkto": "https://embed.tawk.to/5f1e2d3c4b5a69788796a5b4/1abc",
    "crisp": "https://client.crisp.chat/l.js",
    "chatwoot": "https://chat.example.com/packs/js/sdk.js",
    "zendesk": "https://static.zdassets.com/ekr/snippet.js?key=4cee5b4f-da79-4cae-891a-4efa9d5fa1de",
}
STUB = """window.__providerLoaded = (window.__providerLoaded || 0) + 1;
window.chatwootSDK = { run: function (o) { window.__chatwootRun = o; } };"""


@pytest.mark.parametrize("provider", sorted(PRESET_SCRIPTS))
def test_each_preset_loads_its_script_with_the_nonce_and_the_prechat_data(
    new_page: Callable[[], Any], provider: str
) -> None:
    page = new_page()
    requested: list[str] = []

    def fake(route: Any) -> None:  # no network: the provider's script is a local stub
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="text/javascript", body=STUB)

    page.route("https://**/*", fake)
    page.goto(f"/preset/{provider}")
    page.wait_for_function("window.__providerLoaded === 1")
    assert requested == [PRESET_SCRIPTS[provider]]
    assert page.evaluate("window.__csp") == [] and page.js_errors == []
    found = page.evaluate("""() => ({
        lc: window.__lc || null, crisp: window.$crisp || null, crispId: window.CRISP_WEBSITE_ID || null,
        tawk: !!window.Tawk_API, run: window.__chatwootRun || null,
        ze: (document.getElementById('ze-snippet') || {}).src || null })""")
    if provider == "livechat":
        assert found["lc"]["license"] == 12345678
        assert {"name": "language", "value": "de"} in found["lc"]["params"]
        assert {"name": "plan", "value": "gold"} in found["lc"]["params"]
    elif provider == "crisp":
        assert found["crispId"] == "e987cede-c42d-4c32-8cf3-1a4a074abd73"
        pairs = [["language", "de"], ["pages", "/a, /b"], ["plan", "gold"]]
        assert found["crisp"] == [["set", "session:data", [pairs]]]
    elif provider == "tawkto":
        assert found["tawk"]
    elif provider == "chatwoot":
        assert found["run"] == {"websiteToken": "Fdm5ypwCWKm8fAEpf9w2Rqsm", "baseUrl": "https://chat.example.com"}
    else:
        assert found["ze"] == PRESET_SCRIPTS["zendesk"]


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}


def apart(a: dict[str, float], b: dict[str, float]) -> bool:
    """Two bounding boxes share no pixel."""
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def settled(page: Any) -> None:
    """Two animation frames: size observers have run and the page has been painted since."""
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def nothing_over(page: Any, target: Any, others: list[Any]) -> None:
    """`target` is on top where it is: hit-testing finds it, and hiding `others` (visibility only, so
    nothing moves) leaves a screenshot of its region unchanged, pixel for pixel."""
    box = target.bounding_box()
    assert box is not None and box["width"] > 0
    hit = page.evaluate(
        "([el, x, y]) => el.contains(document.elementFromPoint(x, y))",
        [target.element_handle(), box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit, "another element is on top of the placeholder's button"
    seen = page.screenshot(clip=box)
    for other in others:
        other.evaluate("el => { el.style.visibility = 'hidden'; }")
    settled(page)
    bare = page.screenshot(clip=box)
    for other in others:
        other.evaluate("el => { el.style.visibility = ''; }")
    assert seen == bare, "the placeholder's button looks different once the banner's parts are hidden"


@pytest.mark.parametrize(("size", "layout", "lang"), [
    ("desktop", "bar-bottom", "en"), ("mobile", "bar-bottom", "de"), ("desktop", "box", "ar"),
])
def test_placeholder_never_under_the_banner_or_its_notice(
    new_page: Callable[..., Any], size: str, layout: str, lang: str
) -> None:
    page = new_page(viewport=VIEWPORTS[size], locale=lang, reduced_motion="reduce")
    page.goto(f"/with-banner?layout={layout}&lang={lang}")
    placeholder, button = page.locator("#consentkit-chat-ph"), page.locator("#consentkit-chat-ph button")
    bar = page.locator("#ck-l1 .ck-panel")
    placeholder.wait_for(state="visible")
    bar.wait_for(state="visible")
    settled(page)
    assert page.locator("#consentkit-chat-ph").get_attribute("lang") == lang
    view = VIEWPORTS[size]
    ph_box, bar_box = placeholder.bounding_box(), bar.bounding_box()
    assert ph_box is not None and bar_box is not None
    assert ph_box["y"] >= 0 and ph_box["x"] >= 0 and ph_box["x"] + ph_box["width"] <= view["width"]
    assert apart(ph_box, bar_box), (ph_box, bar_box)
    nothing_over(page, button, [page.locator("#ck-l1")])
    page.locator("#ck-l1 button[form=ck-go]").click()  # the modal second layer: the placeholder waits behind it
    page.locator("#ck-l2 .ck-panel").wait_for(state="visible")
    assert not placeholder.is_visible()
    page.keyboard.press("Escape")
    placeholder.wait_for(state="visible")

    page.locator("#ck-l1 button[value=reject_all]").click()
    status = page.locator(".ck-status")
    status.wait_for(state="visible")
    settled(page)
    assert placeholder.is_visible() and page.locator(".ck-fab").is_visible()
    boxes = {name: page.locator(sel).bounding_box() for name, sel in
             (("placeholder", "#consentkit-chat-ph"), ("notice", ".ck-status"), ("fab", ".ck-fab"))}
    for a, b in (("placeholder", "notice"), ("placeholder", "fab"), ("notice", "fab")):
        assert boxes[a] is not None and boxes[b] is not None and apart(boxes[a], boxes[b]), (a, b, boxes)
    moved = boxes["placeholder"]
    assert moved is not None and moved["y"] + moved["height"] <= view["height"]
    nothing_over(page, button, [status, page.locator(".ck-fab")])
    assert page.evaluate("window.__csp") == [] and page.js_errors == []

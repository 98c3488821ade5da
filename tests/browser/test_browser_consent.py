"""The banner in a real browser, against the real middleware: choices, cookies, gating, signals."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from browser.browser_helpers import Server, cookie_names, open_banner, post_of_choice, server_state

pytestmark = pytest.mark.browser
TRACKING = {"_ga", "ck_vid", "ck_sid"}


def choose_in_first_layer(page: Any, action: str) -> dict[str, Any]:
    with post_of_choice(page) as resp:
        page.click(f"#ck-l1 button[value={action}]")
    assert resp.value.status == 200
    data: dict[str, Any] = resp.value.json()
    return data


def clean(page: Any) -> None:
    """No CSP violation and no script error happened on the page."""
    assert page.evaluate("window.__csp") == []
    assert page.js_errors == []


def test_first_visit_shows_banner_and_nothing_optional_runs(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    assert page.locator("#ck-l1").is_visible()
    assert not page.locator("#ck-l2").is_visible()
    assert not page.locator(".ck-fab").is_visible()
    assert cookie_names(page) <= {"ck_consent"} and not cookie_names(page) & TRACKING
    assert page.evaluate("window.analyticsRan") is None
    assert page.locator("#map").get_attribute("src") is None
    first = page.evaluate("Array.from(window.dataLayer[0])")
    assert first[:2] == ["consent", "default"]
    assert first[2]["analytics_storage"] == "denied" and first[2]["security_storage"] == "granted"
    assert server_state(page)["choice_made"] is False
    clean(page)


def test_reject_all_sets_no_tracking_cookie(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    state = choose_in_first_layer(page, "reject_all")
    assert state["choice_made"] is True and state["granted"] == []
    assert not page.locator("#ck-l1").is_visible()
    assert page.locator(".ck-fab").is_visible()
    page.reload()
    assert not page.locator("#ck-l1").is_visible()
    assert page.locator("#allowed").inner_text() == "analytics allowed: no"
    names = cookie_names(page)
    assert "ck_consent" in names and not names & TRACKING
    assert page.evaluate("window.analyticsRan") is None
    clean(page)


def test_accept_all_runs_gated_code_and_updates_consent_mode(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    state = choose_in_first_layer(page, "accept_all")
    assert {"analytics", "marketing", "preferences"} <= set(state["effective"])
    page.wait_for_function("window.analyticsRan === true")
    assert "_ga" in cookie_names(page)
    update = page.evaluate("Array.from(window.dataLayer[window.dataLayer.length - 1])")
    assert update[:2] == ["consent", "update"] and update[2]["ad_storage"] == "granted"
    events = page.evaluate("window.__events")
    assert [e[0] for e in events] == ["change"] and "analytics" in events[0][1]["effective"]
    assert page.locator("#map").get_attribute("src") == "/embed"
    page.goto("/allowed")
    assert page.locator("#allowed").inner_text() == "analytics allowed: yes"
    assert {"ck_vid", "ck_sid"} <= cookie_names(page)
    clean(page)


def test_choose_grants_exactly_the_chosen_categories(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    page.click("#ck-l1 button[form=ck-go]")
    assert page.locator("#ck-l2").is_visible() and not page.locator("#ck-l1").is_visible()
    assert page.locator("#ck-c-necessary").is_checked() and page.locator("#ck-c-necessary").is_disabled()
    assert not page.locator("#ck-c-analytics").is_checked()
    page.check("#ck-c-analytics")
    with post_of_choice(page) as resp:
        page.click("#ck-l2 button[value=choose]")
    assert resp.value.json()["granted"] == ["analytics"]
    assert server_state(page)["effective"] == ["analytics", "necessary"]
    page.wait_for_function("window.analyticsRan === true")
    assert page.locator("#map").get_attribute("src") is None
    clean(page)


def test_withdrawal_through_settings_button_removes_cookie(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    choose_in_first_layer(page, "accept_all")
    page.wait_for_function("window.analyticsRan === true")
    assert "_ga" in cookie_names(page)
    page.click(".ck-fab")
    assert page.locator("#ck-l2").is_visible()
    assert page.locator("#ck-c-analytics").is_checked()
    page.uncheck("#ck-c-analytics")
    with post_of_choice(page) as resp:
        page.click("#ck-l2 button[value=choose]")
    assert "analytics" not in resp.value.json()["granted"]
    assert "_ga" not in cookie_names(page)
    state = server_state(page)
    assert "analytics" not in state["effective"] and "marketing" in state["effective"]
    withdraw = [e for e in page.evaluate("window.__events") if e[0] == "withdraw"]
    assert withdraw and withdraw[0][1]["categories"] == ["analytics"]
    page.goto("/allowed")
    assert not cookie_names(page) & TRACKING
    clean(page)


def test_later_grant_runs_gated_script_without_reload(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    choose_in_first_layer(page, "reject_all")
    page.evaluate("window.samePage = true")
    assert page.evaluate("window.analyticsRan") is None
    state = page.evaluate("window.consentkit.set(['analytics'])")
    assert state["granted"] == ["analytics"]
    page.wait_for_function("window.analyticsRan === true")
    assert page.evaluate("window.samePage") is True
    assert page.evaluate("window.consentkit.get().effective") == ["analytics", "necessary"]
    expect(page.locator(".ck-status")).to_have_text("Your choice has been saved.")
    clean(page)


def test_refused_change_rejects_and_tells_the_visitor(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    outcome = page.evaluate("consentkit.set(['no_such_category']).then(() => 'resolved', () => 'rejected')")
    assert outcome == "rejected"
    expect(page.locator(".ck-status")).to_have_text("Your choice could not be saved. Please try again.")
    assert page.locator("#ck-l1").is_visible()
    assert server_state(page)["choice_made"] is False


def test_embed_placeholder_grants_and_loads_in_place(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    choose_in_first_layer(page, "reject_all")
    placeholder = page.locator(".ck-embed")
    assert "Marketing" in placeholder.inner_text()
    assert not page.locator("#map").is_visible()
    with post_of_choice(page) as resp:
        placeholder.get_by_role("button").click()
    assert resp.value.json()["granted"] == ["marketing"]
    page.wait_for_function("document.getElementById('map').getAttribute('src') === '/embed'")
    frame = page.frame_locator("#map")
    assert frame.locator("#embedded").inner_text() == "A map"
    assert page.locator(".ck-embed").count() == 0
    assert page.evaluate("window.analyticsRan") is None
    clean(page)


def test_beacon_is_sent_when_the_page_is_hidden(new_page: Any, server: Server) -> None:
    page = new_page()
    open_banner(page)
    consent_id = choose_in_first_layer(page, "accept_all")["consent_id"]
    # Keep the outbound click on this page, then count it.
    page.evaluate("document.getElementById('out').addEventListener('click', e => e.preventDefault())")
    page.click("#out")
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(200)
    with page.expect_request(lambda r: r.url.endswith("/_consent/beacon") and r.method == "POST") as req:
        page.evaluate(
            "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
    response = req.value.response()
    assert response is not None and response.status == 204
    # What the browser sent is what the server stored (the writer flushes about once a second).
    rows = stored_beacons(server, consent_id)
    assert len(rows) == 1
    path, engaged_ms, scroll, clicks = rows[0]
    assert path == "/" and engaged_ms >= 0 and 0 < scroll <= 100
    assert json.loads(clicks) == ["https://example.org/elsewhere"]


def stored_beacons(server: Server, consent_id: str, count: int = 1, tries: int = 50) -> list[tuple[Any, ...]]:
    """The stored beacons of a consent id, once `count` are there or `tries` tenths of a second passed
    (the writer flushes about once a second)."""
    from consentkit.storage import open_store

    store = open_store(f"sqlite:///{server.db}", migrate=False)
    try:
        rows: list[tuple[Any, ...]] = []
        for _ in range(tries):
            rows = store.query(
                "SELECT path, engaged_ms, scroll, clicks FROM ck_events WHERE kind = ? AND consent_id = ?",
                ("beacon", consent_id),
            )
            if len(rows) >= count:
                break
            time.sleep(0.1)
        return rows
    finally:
        store.close()


def leave(page: Any) -> None:
    """What a browser fires when the page is left: pagehide, then visibilitychange to hidden (a
    millisecond or two apart), here on a page that stays, so that its requests can be watched."""
    page.evaluate("""() => new Promise(done => {
        window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: false}));
        setTimeout(() => {
            Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
            document.dispatchEvent(new Event('visibilitychange'));
            done();
        }, 5);
    })""")


def beacons_sent(page: Any) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/_consent/beacon") else None)
    return sent


def test_leaving_a_page_sends_one_beacon(new_page: Any, server: Server) -> None:
    page = new_page()
    open_banner(page, "/allowed")
    consent_id = choose_in_first_layer(page, "accept_all")["consent_id"]
    page.wait_for_timeout(50)
    page.goto("/privacy")
    assert len(stored_beacons(server, consent_id, count=2, tries=15)) == 1  # a real exit, counted at the server
    page.wait_for_function("window.consentkit")
    sent = beacons_sent(page)
    leave(page)
    page.wait_for_timeout(200)
    assert len(sent) == 1


def test_no_beacon_after_a_withdrawal_in_another_tab(new_page: Any, server: Server) -> None:
    page = new_page()
    open_banner(page, "/allowed")
    consent_id = choose_in_first_layer(page, "accept_all")["consent_id"]
    page.evaluate("window.samePage = true")
    other = page.context.new_page()
    open_banner(other, "/allowed")
    other.click(".ck-fab")
    with post_of_choice(other) as resp:
        other.click("#ck-l2 button[value=reject_all]")
    assert resp.value.json()["granted"] == []
    # The first tab learns of it at once, without a reload (no gated script ran there).
    page.wait_for_function("() => !consentkit.get().effective.includes('analytics')", timeout=3_000)
    assert page.evaluate("window.samePage") is True
    sent = beacons_sent(page)
    leave(page)
    page.goto("/privacy")  # and a real exit
    assert sent == []
    assert stored_beacons(server, consent_id, tries=15) == []


def test_no_beacon_without_consent(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    choose_in_first_layer(page, "reject_all")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/beacon" in r.url else None)
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
        "document.dispatchEvent(new Event('visibilitychange')); window.dispatchEvent(new Event('pagehide'))"
    )
    page.wait_for_timeout(300)
    assert sent == []


def test_gpc_signal_is_explained_and_wins_over_accept_all(new_page: Any) -> None:
    page = new_page(extra_http_headers={"Sec-GPC": "1"})
    open_banner(page)
    assert "Global Privacy Control" in page.locator("#ck-l1 .ck-signal").inner_text()
    page.click("#ck-l1 button[form=ck-go]")
    toggle = page.locator("#ck-c-analytics")
    assert not toggle.is_checked() and toggle.is_disabled()
    page.keyboard.press("Escape")
    state = choose_in_first_layer(page, "accept_all")
    assert "analytics" not in state["effective"] and state["signals"]["gpc"] is True
    page.goto("/allowed")
    assert page.locator("#allowed").inner_text() == "analytics allowed: no"
    assert not cookie_names(page) & TRACKING
    assert page.evaluate("window.analyticsRan") is None
    clean(page)


def test_forms_work_without_javascript(new_page: Any) -> None:
    page = new_page(java_script_enabled=False)
    page.goto("/?q=shoes")
    assert page.locator("#ck-l1").is_visible()
    page.click("#ck-l1 button[form=ck-go]")
    page.wait_for_url("**/?q=shoes#ck-l2")
    assert page.locator("#ck-l2").is_visible() and not page.locator("#ck-l1").is_visible()
    page.check("#ck-c-marketing")
    with page.expect_navigation():
        page.click("#ck-l2 button[value=choose]")
    assert page.url.endswith("/?q=shoes")
    assert not page.locator("#ck-l1").is_visible()
    assert server_state(page)["granted"] == ["marketing"]
    page.click(".ck-fab")
    assert page.locator("#ck-l2").is_visible() and page.locator("#ck-c-marketing").is_checked()
    with page.expect_navigation():
        page.click("#ck-l2 button[value=reject_all]")
    assert server_state(page)["granted"] == []


def test_withdrawn_embed_is_unloaded_and_its_placeholder_back(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    choose_in_first_layer(page, "reject_all")
    page.locator(".ck-embed").get_by_role("button").click()
    page.frame_locator("#map").locator("#embedded").wait_for()
    with post_of_choice(page):
        page.evaluate("consentkit.set([])")
    page.locator(".ck-embed").wait_for()
    assert page.locator("#map").get_attribute("src") is None  # a fresh element: the loaded frame went with the old one
    assert page.evaluate("document.getElementById('map').contentDocument.getElementById('embedded')") is None
    clean(page)


def test_a_withdrawal_removes_analytics_cookies_set_on_parent_domains(new_page: Any, server: Server) -> None:
    """As Google Analytics does, scripts set their cookies on the parent domain: a withdrawal must
    remove those too, not only the host's own."""
    port = server.url.rsplit(":", 1)[1].rstrip("/")
    page = new_page(base_url=f"http://www.shop.consentkit.test:{port}")
    open_banner(page)
    choose_in_first_layer(page, "accept_all")
    page.context.add_cookies([
        {"name": "_ga", "value": "GA1.2.3", "domain": ".consentkit.test", "path": "/"},
        {"name": "_ga_XYZ", "value": "GS1.1", "domain": ".shop.consentkit.test", "path": "/"},
        {"name": "_gid", "value": "GA1.2.4", "domain": "www.shop.consentkit.test", "path": "/"},
    ])
    with post_of_choice(page) as resp:
        page.evaluate("window.consentkit.set([])")
    assert resp.value.status == 200
    page.wait_for_function("!window.consentkit.get().effective.includes('analytics')")
    assert {c["name"] for c in page.context.cookies()} & {"_ga", "_ga_XYZ", "_gid"} == set()
    clean(page)

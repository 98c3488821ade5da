"""Keyboard use, focus management, axe-core, themes, right-to-left, and the documentation screenshots."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from browser.browser_helpers import open_banner, post_of_choice, server_state

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
# axe-core as shipped inside the axe-playwright-python package (the `dev` group installs it).
AXE = Path(os.environ.get("CONSENTKIT_AXE_JS", str(files("axe_playwright_python") / "axe.min.js")))
IMG = ROOT / "docs" / "img"


def focused(page: Any) -> str:
    """A short name for the focused element: its id, else its text."""
    return str(page.evaluate(
        "(() => { const a = document.activeElement; if (a.id) return a.id;"
        " if (a.getAttribute('role') === 'dialog') return 'dialog:' + a.parentNode.id;"
        " return a.textContent.trim(); })()"
    ))


def tab_to(page: Any, name: str, limit: int = 12) -> None:
    for _ in range(limit):
        if focused(page) == name:
            return
        page.keyboard.press("Tab")
    assert focused(page) == name


def test_keyboard_only_through_both_layers(new_page: Any) -> None:
    page = new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    open_banner(page)
    assert focused(page) == "dialog:ck-l1"
    tab_to(page, "Accept all")
    page.keyboard.press("Tab")
    assert focused(page) == "Reject all"
    page.keyboard.press("Tab")
    assert focused(page) == "Choose"
    page.keyboard.press("Enter")
    assert page.locator("#ck-l2").is_visible()
    assert focused(page) == "dialog:ck-l2"
    page.keyboard.press("Tab")
    assert focused(page) == "ck-c-preferences"  # the locked "necessary" switch is skipped
    page.keyboard.press("Space")
    assert page.locator("#ck-c-preferences").is_checked()
    # The second layer traps focus: Shift+Tab from the first control wraps to the last, Tab back again.
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Back"
    page.keyboard.press("Tab")
    assert focused(page) == "ck-c-preferences"
    for _ in range(15):
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('ck-l2').contains(document.activeElement)")
    # Escape goes back to the first layer, focus returns to "Choose", and nothing was consented to.
    page.keyboard.press("Escape")
    assert not page.locator("#ck-l2").is_visible() and page.locator("#ck-l1").is_visible()
    assert focused(page) == "Choose"
    page.keyboard.press("Escape")
    assert page.locator("#ck-l1").is_visible()
    assert posts == [] and server_state(page)["choice_made"] is False
    # Second round: choose analytics only and save with Enter.
    page.keyboard.press("Space")
    assert focused(page) == "dialog:ck-l2"
    assert not page.locator("#ck-c-preferences").is_checked()
    tab_to(page, "ck-c-analytics")
    page.keyboard.press("Space")
    tab_to(page, "Save choices")
    with post_of_choice(page) as resp:
        page.keyboard.press("Enter")
    assert resp.value.json()["granted"] == ["analytics"]
    assert not page.locator("#ck-l1").is_visible() and not page.locator("#ck-l2").is_visible()
    # Reopen from the settings button: Escape closes and focus goes back to the button.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert focused(page) == "Privacy settings"
    page.keyboard.press("Enter")
    assert page.locator("#ck-l2").is_visible() and page.locator("#ck-c-analytics").is_checked()
    page.keyboard.press("Escape")
    assert not page.locator("#ck-l2").is_visible()
    assert focused(page) == "Privacy settings"
    assert server_state(page)["granted"] == ["analytics"]


def test_modal_layout_traps_focus_in_first_layer(new_page: Any) -> None:
    page = new_page()
    open_banner(page, "/?layout=modal")
    dialog = page.locator("#ck-l1 [role=dialog]")
    assert dialog.get_attribute("aria-modal") == "true"
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('ck-l1').contains(document.activeElement)")
    tab_to(page, "Privacy policy")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Choose"


def test_equal_prominence_in_the_browser(new_page: Any) -> None:
    page = new_page()
    open_banner(page)
    looks = page.evaluate(
        "Array.from(document.querySelectorAll('#ck-l1 .ck-actions > *')).map(b => {"
        " const r = b.getBoundingClientRect(), s = getComputedStyle(b);"
        " return [b.tagName, b.className, Math.round(r.width), Math.round(r.height), s.fontWeight,"
        " s.fontSize, s.backgroundColor, s.color]; })"
    )
    assert len(looks) == 3
    assert looks[0] == looks[1] == looks[2]


def run_axe(page: Any) -> list[str]:
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation(new_page: Any, scheme: str) -> None:
    assert AXE.is_file(), f"axe-core not found at {AXE}; install it or set CONSENTKIT_AXE_JS"
    page = new_page(bypass_csp=True, color_scheme=scheme)
    open_banner(page)
    page.add_script_tag(content=AXE.read_text("utf-8"))
    background = page.evaluate("getComputedStyle(document.querySelector('#ck-l1 .ck-panel')).backgroundColor")
    assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(28, 28, 30)")
    assert run_axe(page) == []
    page.click("#ck-l1 button[form=ck-go]")
    page.wait_for_timeout(250)  # let the opening animation finish
    assert run_axe(page) == []


def test_reduced_motion_turns_animation_off(new_page: Any) -> None:
    animation = "getComputedStyle(document.querySelector('#ck-l1 .ck-panel')).animationName"
    page = new_page(reduced_motion="reduce")
    open_banner(page)
    assert page.evaluate(animation) == "none"
    page = new_page(reduced_motion="no-preference")
    open_banner(page)
    assert page.evaluate(animation) == "ck-in"


def test_right_to_left_language(new_page: Any) -> None:
    page = new_page()
    open_banner(page, "/?lang=ar")
    root = page.locator("#consentkit-banner")
    assert root.get_attribute("dir") == "rtl" and root.get_attribute("lang") == "ar"
    assert page.locator("#ck-l1 button[value=accept_all]").inner_text() == "قبول الكل"
    boxes = [page.locator(f"#ck-l1 .ck-actions > :nth-child({i})").bounding_box() for i in (1, 2)]
    assert boxes[0] is not None and boxes[1] is not None
    assert boxes[0]["x"] > boxes[1]["x"]  # the first button sits on the right


def test_screenshots_for_the_documentation(new_page: Any) -> None:
    first, second = IMG / "banner-first-layer.png", IMG / "banner-second-layer.png"
    if os.environ.get("CONSENTKIT_SCREENSHOTS") != "1" and first.exists() and second.exists():
        pytest.skip("screenshots exist; set CONSENTKIT_SCREENSHOTS=1 to regenerate")
    IMG.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport={"width": 1000, "height": 700}, reduced_motion="reduce")
    open_banner(page, "/privacy")
    page.screenshot(path=str(first))
    page.set_viewport_size({"width": 1000, "height": 1180})
    page.click("#ck-l1 button[form=ck-go]")
    page.screenshot(path=str(second))
    assert first.stat().st_size > 1000 and second.stat().st_size > 1000

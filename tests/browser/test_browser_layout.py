"""The banner's layout in a real browser: its buttons' rows, and the embed placeholder's direction."""

from __future__ import annotations

from typing import Any

import pytest

from browser.browser_helpers import open_banner

pytestmark = pytest.mark.browser
# A common phone: wide enough for two of the buttons side by side, too narrow for three.
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844},
             "small": {"width": 320, "height": 640}}


@pytest.mark.parametrize(("size", "layout", "lang"), [
    ("mobile", "bar-bottom", "en"), ("mobile", "bar-bottom", "de"), ("small", "bar-bottom", "en"),
    ("desktop", "bar-bottom", "de"), ("desktop", "box", "en"),
])
def test_first_layer_buttons_share_one_row_or_have_one_each(new_page: Any, size: str, layout: str, lang: str) -> None:
    page = new_page(viewport=VIEWPORTS[size], reduced_motion="reduce")
    open_banner(page, f"/?lang={lang}&layout={layout}")
    boxes = [b.bounding_box() for b in page.locator("#ck-l1 .ck-actions .ck-btn").all()]
    assert len(boxes) == 3 and all(b is not None for b in boxes)
    tops, lefts = {round(b["y"]) for b in boxes}, {round(b["x"]) for b in boxes}
    one_row, one_column = len(tops) == 1 and len(lefts) == 3, len(lefts) == 1 and len(tops) == 3
    assert one_row or one_column, boxes  # never two buttons in a row and the third alone below them
    assert len({round(b["width"]) for b in boxes}) == 1, boxes  # equal prominence
    if size == "desktop" and layout == "bar-bottom":
        assert one_row


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_embed_placeholder_reads_in_the_banner_direction(new_page: Any, lang: str, direction: str) -> None:
    page = new_page(reduced_motion="reduce")
    open_banner(page, f"/?lang={lang}")  # the page sets lang only: the banner knows the direction
    box = page.locator(".ck-embed")
    assert box.get_attribute("lang") == lang and box.get_attribute("dir") == direction
    assert box.evaluate("el => getComputedStyle(el).direction") == direction
    outer, button = box.bounding_box(), box.locator("button").bounding_box()
    assert outer is not None and button is not None
    start_gap = button["x"] - outer["x"]
    end_gap = outer["x"] + outer["width"] - (button["x"] + button["width"])
    # The button sits at the start of the reading direction: the left in English, the right in Arabic.
    assert (end_gap < start_gap) if direction == "rtl" else (start_gap < end_gap), (outer, button)

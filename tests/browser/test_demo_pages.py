"""The demo sites' pages follow a choice made in the banner without a reload, in a real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from servers import BIN, running

from conftest import page_maker

pytestmark = pytest.mark.browser
NOT_MEASURED = "[data-unless-consent=analytics]"
MEASURED = "[data-when-consent=analytics]"


@pytest.mark.parametrize("framework", ["starlette", "flask", "django"])
def test_the_measuring_sentence_follows_a_choice_without_a_reload(framework: str, chromium: Any,
                                                                 tmp_path: Path) -> None:
    argv = [str(BIN / "consentkit"), "demo", "--framework", framework, "--port", "{port}",
            "--storage-url", f"sqlite:///{tmp_path / 'demo.db'}"]
    with running(argv, cwd=tmp_path) as srv, page_maker(chromium, srv.base, "") as make:
        page = make(viewport={"width": 1024, "height": 720})
        page.goto("/")
        assert page.is_visible(NOT_MEASURED) and not page.is_visible(MEASURED)
        assert page.inner_text(NOT_MEASURED) == "We do not measure your visit."
        page.evaluate("window.sameDocument = true")  # gone if the page were loaded again

        page.click("#ck-l1 button[value=accept_all]")
        page.wait_for_selector(NOT_MEASURED, state="hidden")
        assert page.is_visible(MEASURED)

        page.evaluate("consentkit.set([])")  # withdrawn: the sentence comes back
        page.wait_for_selector(NOT_MEASURED, state="visible")
        assert not page.is_visible(MEASURED)
        assert page.evaluate("window.sameDocument") is True and page.js_errors == []

"""The console's screenshots: scripts/console_screenshots photographs real console pages, every
picture it writes exists (a PNG of the viewport, not a whole long page), and docs/console.md shows
exactly those. Nothing is rendered here; the script itself makes the pictures."""

from __future__ import annotations

import os
import re
import struct
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from types import ModuleType

from consentkit.console.pages import PAGES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "console_screenshots"
MAIN_PAGES = {"/overview", "/consent", "/log", "/ledger", "/cookies"}
"""Pages the documentation must picture at least."""


def script() -> ModuleType:
    loader = SourceFileLoader("console_screenshots", str(SCRIPT))
    spec = spec_from_loader(loader.name, loader)
    assert spec is not None
    module = module_from_spec(spec)
    loader.exec_module(module)  # defines SHOTS; main() runs only as a script
    return module


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_script_photographs_the_main_pages_at_the_console_s_own_addresses() -> None:
    assert os.access(SCRIPT, os.X_OK)
    shots = script().SHOTS
    addresses = {shot[1].split("?")[0] for shot in shots}
    assert addresses <= {p.path for p in PAGES} and addresses >= MAIN_PAGES
    names = [shot[0] for shot in shots]
    assert len(names) == len(set(names))


def test_every_picture_exists_and_docs_console_md_shows_exactly_those() -> None:
    written = {f"img/console-{shot[0]}.png" for shot in script().SHOTS}
    sizes = {png_size(ROOT / "docs" / image) for image in written}
    assert len(sizes) == 1, sizes  # one viewport for all
    width, height = sizes.pop()
    assert width <= 1400 and height <= 1000  # the viewport, not a whole long page
    assert all((ROOT / "docs" / image).stat().st_size < 300_000 for image in written)
    text = (ROOT / "docs" / "console.md").read_text("utf-8")
    pages_section = text[text.index("\n## Pages\n"):]
    shown = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", pages_section)
    assert sorted(shown) == sorted(written)
    assert "scripts/console_screenshots" in pages_section

"""Every package of this repository carries what a release needs: its licence file, authors, classifiers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = [ROOT, ROOT / "integrations/django", ROOT / "integrations/flask", ROOT / "integrations/fastapi"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_package_metadata_is_release_ready(folder: Path) -> None:
    meta = tomllib.loads((folder / "pyproject.toml").read_text("utf-8"))["project"]
    assert meta["license"] == "MIT"
    licence_files = [p for pattern in meta["license-files"] for p in folder.glob(pattern)]
    assert folder / "LICENSE" in licence_files and all(p.is_file() for p in licence_files)
    assert (folder / "LICENSE").read_text("utf-8").startswith("MIT License\n")
    assert meta["authors"] and all(a.get("name") for a in meta["authors"])
    classifiers = meta["classifiers"]
    assert "Typing :: Typed" in classifiers and any(c.startswith("Development Status") for c in classifiers)
    # no address is invented: a project URL is listed only once the project has a real one
    assert "urls" not in meta


def test_adapted_rules_keep_their_licence_notice() -> None:
    notice = (ROOT / "LICENSES/user-agents.txt").read_text("utf-8")
    assert "Copyright (c) 2013 Selwin Ong" in notice and "Permission is hereby granted" in notice
    assert "LICENSES/user-agents.txt" in (ROOT / "src/consentkit/collect/useragent.py").read_text("utf-8")


def test_the_changelog_lists_the_current_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert f"## {version}" in (ROOT / "CHANGELOG.md").read_text("utf-8")

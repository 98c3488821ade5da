"""The `consentkit` command as a user meets it: messages, not tracebacks; nothing created by mistake."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from consentkit import __version__
from consentkit.cli import main
from servers import BIN

KEY = "k" * 40


def test_check_redacts_the_password_of_a_postgresql_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "consentkit.toml"
    f.write_text(f'secret_keys = ["{KEY}"]\nstorage_url = "postgresql://shop:s3cret-pw@db.internal:5432/shop"\n')
    assert main(["check", str(f)]) == 0
    out = capsys.readouterr().out
    assert "s3cret-pw" not in out
    assert json.loads(out)["storage_url"] == "postgresql://shop:***@db.internal:5432/shop"


def test_version() -> None:
    done = subprocess.run([str(BIN / "consentkit"), "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, f"consentkit {__version__}", "")

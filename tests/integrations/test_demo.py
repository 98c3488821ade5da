"""`consentkit demo --framework …` serves a site over HTTP and stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from consentkit.demo import run
from consentkit.storage import open_store
from servers import BIN

UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"


@pytest.mark.server
@pytest.mark.parametrize("framework", ["starlette", "fastapi", "flask", "django"])
def test_demo_serves_and_stops_cleanly_on_sigint(framework: str, tmp_path: Path, server: Any) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    argv = [str(BIN / "consentkit"), "demo", "--framework", framework, "--port", "{port}", "--storage-url", url]
    with server(argv, cwd=tmp_path) as srv:
        with httpx.Client(base_url=srv.base, headers={"user-agent": UA}) as c:
            home = c.get("/")
            assert home.status_code == 200 and 'action="/_consent"' in home.text
            assert c.get("/_consent/state").json()["choice_made"] is False
            assert c.post("/_consent", json={"action": "accept_all"}, headers={"origin": srv.base}).status_code == 200
            assert c.get("/_consent/state").json()["choice_made"] is True
            c.get("/")
        srv.proc.send_signal(signal.SIGINT)
        assert srv.proc.wait(20) == 0, srv.output()
    out = srv.output()
    assert f"on {srv.base}/" in out and f"{srv.base}/_consent/state" in out
    assert f"events --format table --storage-url {url}" in out and f"ledger verify --storage-url {url}" in out
    assert "Traceback" not in out
    store = open_store(url)
    try:
        assert len(list(store.ledger())) == 1
        assert sum(n for *_, n in store.counts("pageviews")) >= 2  # queued page views were flushed at exit
    finally:
        store.close()


def test_missing_adapter_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "consentkit_django", None)
    monkeypatch.setenv("CONSENTKIT_STORAGE_URL", "")  # run() sets it; monkeypatch restores it
    assert run(framework="django", storage_url=f"sqlite:///{tmp_path / 'x.db'}") == 1
    err = capsys.readouterr().err
    assert "pip install consentkit-django" in err and "Traceback" not in err

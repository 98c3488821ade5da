"""`consentkit demo --framework …` serves a site over HTTP and stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from consentkit import demo
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


# How a shell starts a background job (`consentkit demo &`, nohup): with SIGINT ignored.
IGNORING_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN);"
                   " os.execv(sys.argv[1], sys.argv[1:])")


@pytest.mark.server
@pytest.mark.parametrize("framework", ["starlette", "flask", "django"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_started_in_the_background_stops_on_a_signal(framework: str, sig: signal.Signals, tmp_path: Path,
                                                           server: Any) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    argv = [sys.executable, "-c", IGNORING_SIGINT, str(BIN / "consentkit"), "demo", "--framework", framework,
            "--port", "{port}", "--storage-url", url]
    with server(argv, cwd=tmp_path) as srv:
        assert httpx.get(srv.base + "/", headers={"user-agent": UA}).status_code == 200
        srv.proc.send_signal(sig)
        try:
            code = srv.proc.wait(20)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, srv.output()
    assert "Traceback" not in srv.output()


def test_a_busy_port_is_named_with_a_free_one_before_anything_starts(capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("CONSENTKIT_STORAGE_URL", "")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert run(port=port, storage_url=f"sqlite:///{tmp_path / 'x.db'}") == 1
    out, err = capsys.readouterr()
    assert out == ""  # no "running on" banner for a server that cannot run
    assert f"port {port} on 127.0.0.1 is already in use" in err and "choose another with --port" in err
    suggested = int(err.rsplit("--port ", 1)[1].split()[0])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))  # the suggestion is a port that is free


def test_missing_demo_server_names_the_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    monkeypatch.setenv("CONSENTKIT_STORAGE_URL", "")
    assert run(storage_url=f"sqlite:///{tmp_path / 'x.db'}") == 1
    err = capsys.readouterr().err
    assert "needs uvicorn, which come with the demo extra: pip install 'consentkit[demo]'" in err


def test_framework_without_a_checkout_says_where_to_run_it(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "EXAMPLES", tmp_path / "site-packages-has-no-examples")
    monkeypatch.setenv("CONSENTKIT_STORAGE_URL", "")
    assert run(framework="flask", storage_url=f"sqlite:///{tmp_path / 'x.db'}") == 1
    err = capsys.readouterr().err
    assert "source checkout" in err and "./scripts/demo --framework flask" in err and "Traceback" not in err

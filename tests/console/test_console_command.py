"""`consentkit console add-user` and `consentkit console` under uvicorn, a real server."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx2 as httpx
import pytest

from consentkit.cli import main
from consentkit.console.users import verify_password
from consentkit.storage import open_store
from servers import BIN, running

KEY = "k" * 40


def add_user(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, role: str,
             password: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["console", "add-user", name, "--role", role, "--password-stdin"]) == 0
    out = capsys.readouterr()
    assert password not in out.out + out.err and "[console.users]" in out.err
    return out.out


def test_add_user_prints_a_line_of_toml_with_a_hash_never_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = add_user(monkeypatch, capsys, "olga", "officer", "correct horse battery")
    user = tomllib.loads("[console.users]\n" + line)["console"]["users"]["olga"]
    assert user["role"] == "officer" and verify_password("correct horse battery", user["password_hash"])
    assert not verify_password("correct horse", user["password_hash"])
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    assert main(["console", "add-user", "no spaces", "--role", "viewer", "--password-stdin"]) == 2
    assert "not a user name" in capsys.readouterr().err


def serve_and_log_in(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> str:
    line = add_user(monkeypatch, capsys, "rex", "reviewer", "a long pass phrase")
    db = tmp_path / "ck.db"
    config = tmp_path / "consentkit.toml"
    config.write_text(f'secret_keys = ["{KEY}"]\nstorage_url = "sqlite:///{db}"\n[console.users]\n{line}')
    argv = [a.replace("{config}", str(config)) for a in argv]
    env = {"CK_TEST_CONFIG": str(config), "PYTHONPATH": str(Path(__file__).parent.parent)}
    with running(argv, cwd=tmp_path, env=env, ready="/login") as server, httpx.Client(base_url=server.base) as c:
        form = c.get("/login")
        assert form.status_code == 200 and form.headers["content-security-policy"].startswith("default-src 'none'")
        token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = c.post("/login", data={"csrf": token, "name": "rex", "password": "a long pass phrase"})
        assert r.status_code == 303 and r.headers["location"] in ("/overview", "/login")
        output = server.output()
    store = open_store(f"sqlite:///{db}")
    try:
        assert store.query("SELECT user_name, role, action FROM ck_access_log") == [("rex", "reviewer", "login")]
    finally:
        store.close()
    return output


@pytest.mark.server
def test_the_console_serves_under_uvicorn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(BIN / "uvicorn"), "--factory", "console.console_site:make", "--no-proxy-headers",
            "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning"]
    serve_and_log_in(argv, tmp_path, monkeypatch, capsys)


@pytest.mark.server
def test_the_console_command_runs_it_under_uvicorn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("consentkit.console.pages", reason="the console's own pages are not part of this tree")
    argv = [str(BIN / "consentkit"), "console", "--config", "{config}", "--host", "127.0.0.1", "--port", "{port}"]
    output = serve_and_log_in(argv, tmp_path, monkeypatch, capsys)
    assert "consentkit console on http://127.0.0.1:" in output


def test_the_console_command_needs_the_sites_keys(tmp_path: Path) -> None:
    config = tmp_path / "consentkit.toml"
    config.write_text(f'storage_url = "sqlite:///{tmp_path / "ck.db"}"\n')
    run = subprocess.run([sys.executable, "-m", "consentkit.cli", "console", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "secret_keys" in run.stderr

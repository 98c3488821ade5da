"""Installing as README says, into a fresh virtual environment: the core and an adapter in one command,
from a checkout or from the git repository; then the demo, from the installed package alone."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest

from servers import running

ROOT = Path(__file__).resolve().parents[1]
# Nothing a user does not need comes with a plain install.
NOT_FOR_USERS = {"geoip2", "user-agents", "starlette", "uvicorn", "maxminddb", "pytest", "hypothesis", "aiohttp"}

pytestmark = pytest.mark.server


def fresh_venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where / "bin"


def pip(bin_dir: Path, *args: str) -> None:
    run = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", *args],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def installed(bin_dir: Path) -> set[str]:
    out = subprocess.run([str(bin_dir / "python"), "-m", "pip", "list", "--format=freeze"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return {line.split("==")[0].lower() for line in out.splitlines()}


def consentkit(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "consentkit"), *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_from_a_checkout_core_and_adapter_in_one_command_then_the_demo(tmp_path: Path) -> None:
    bin_dir = fresh_venv(tmp_path / "venv")
    pip(bin_dir, str(ROOT), str(ROOT / "integrations/flask"))
    have = installed(bin_dir)
    assert {"consentkit", "consentkit-flask", "flask"} <= have and not have & NOT_FOR_USERS
    # The console's stylesheet and texts are package data: installed beside its modules.
    data = subprocess.run([str(bin_dir / "python"), "-c", "from consentkit.console.layout import STATIC_DIR; "
                           "from consentkit.console.texts import texts; "
                           "print((STATIC_DIR / 'console.css').is_file(), texts('de')['overview'])"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert data.stdout.split() == ["True", "Übersicht"], data.stderr

    no_server = consentkit(bin_dir, "demo", cwd=tmp_path)
    assert no_server.returncode == 1 and "Traceback" not in no_server.stderr
    assert "pip install 'consentkit[demo]'" in no_server.stderr
    no_checkout = consentkit(bin_dir, "demo", "--framework", "flask", cwd=tmp_path)
    assert no_checkout.returncode == 1 and "Traceback" not in no_checkout.stderr
    assert "source checkout" in no_checkout.stderr

    pip(bin_dir, f"{ROOT}[demo]")
    argv = [str(bin_dir / "consentkit"), "demo", "--port", "{port}"]
    with running(argv, cwd=tmp_path) as srv:
        page = httpx.get(srv.base + "/")
        assert page.status_code == 200 and 'action="/_consent"' in page.text
        srv.proc.send_signal(signal.SIGINT)
        assert srv.proc.wait(20) == 0, srv.output()


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git repository of a checkout")
def test_from_the_git_repository_core_and_adapter_in_one_command(tmp_path: Path) -> None:
    """The committed state, as `pip install "consentkit @ git+URL" "consentkit-django @ git+URL#subdirectory=…"`."""
    bin_dir = fresh_venv(tmp_path / "venv")
    pip(bin_dir, "--upgrade", "pip")  # git+file URLs need a current pip (git+https ones do not)
    url = f"git+file://{ROOT}"
    pip(bin_dir, f"consentkit[geo] @ {url}", f"consentkit-django @ {url}#subdirectory=integrations/django")
    have = installed(bin_dir)
    assert {"consentkit", "consentkit-django", "django", "maxminddb"} <= have and "geoip2" not in have
    check = subprocess.run([str(bin_dir / "python"), "-c", "import consentkit_django, consentkit.collect.geo"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr

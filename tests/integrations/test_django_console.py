"""The console inside the Django admin: Django's login, sessions and CSRF, roles from consentkit
permissions, the same pages and access log. Run in a process of its own, since the other Django
tests configure Django without the admin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_console_in_the_django_admin(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> None:
    store_url = f"sqlite:///{tmp_path / 'ck.db'}" if engine == "sqlite" else request.getfixturevalue("pg_db_url")
    env = {**os.environ, "CK_DJANGO_DB": str(tmp_path / "django.db"), "CK_STORE_URL": store_url,
           "PYTHONPATH": os.pathsep.join([str(HERE / "django_console"), str(HERE.parent)])}
    run = subprocess.run([sys.executable, str(HERE / "django_console" / "observe_console.py")], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.splitlines()[-1])
    assert seen["permissions"] == ["officer_console", "review_console", "view_console"]
    assert seen["anonymous"][0] == 302 and seen["anonymous"][1].startswith("/admin/login/?next=/admin/consentkit/")
    no_console = {"overview": 403, "log": 403, "subjects": 403, "retention": 403}
    assert seen["nobody"] == no_console  # staff without a consentkit permission
    assert seen["outsider"] == {"overview": 302, "log": 302, "subjects": 302, "retention": 302}  # not staff: login
    assert seen["vera"] == {"overview": 200, "log": 403, "subjects": 403, "retention": 403}
    assert seen["rex"] == {"overview": 200, "log": 200, "subjects": 403, "retention": 200}
    assert seen["olga"] == {"overview": 200, "log": 200, "subjects": 200, "retention": 200}
    assert seen["vera home"] == "/admin/consentkit/overview"
    assert seen["headers"]["Content-Security-Policy"].startswith("default-src 'none'")
    assert seen["headers"]["Referrer-Policy"] == "no-referrer" and "no-store" in seen["headers"]["Cache-Control"]
    assert seen["post without token"] == 403  # Django's CSRF check
    assert seen["post with token"] == [303, "/admin/consentkit/subjects?subject=vis-7&erased=1"]
    assert seen["reviewer post to an officer action"] == 403
    assert seen["access log"] == [["olga", "officer", "subject.view", "vis-7"],
                                  ["olga", "officer", "subject.erase", "vis-7"]]


def test_the_console_own_pages_in_the_django_admin_as_documented(tmp_path: Path) -> None:
    own = pytest.importorskip("consentkit.console.pages", reason="the console's own pages are not in this tree")
    from consentkit.console.page import allows

    env = {**os.environ, "CK_DJANGO_DB": str(tmp_path / "django.db"), "CK_STORE_URL": f"sqlite:///{tmp_path / 'ck.db'}",
           "CK_CONSOLE_PAGES": "own", "PYTHONPATH": os.pathsep.join([str(HERE / "django_console"), str(HERE.parent)])}
    run = subprocess.run([sys.executable, str(HERE / "django_console" / "observe_console.py")], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.splitlines()[-1])
    for name, role in (("vera", "viewer"), ("rex", "reviewer"), ("olga", "officer")):
        assert seen[name] == {p.path: 200 if allows(role, p.role) else 403 for p in own.PAGES}, name

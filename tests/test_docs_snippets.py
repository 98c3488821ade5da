"""The docs' code blocks marked `<!-- tested: NAME -->` run as written, in fresh processes.

Set-up snippets fail with one clear line when the secret is unset and put the database where the
docs say; testing snippets pass as test files of a small site; the chat's adapter snippets give an
Engine whose registry takes hooks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SECRET = "docs-secret-" + "s" * 40
PAGE = '"<!doctype html><html><head><title>t</title></head><body><p>home</p></body></html>"'


def snippet(doc: str, name: str) -> str:
    """The first ```python block after the `<!-- tested: name` marker in docs/`doc`."""
    text = (DOCS / doc).read_text("utf-8")
    start = text.index("```python\n", text.index(f"<!-- tested: {name}")) + len("```python\n")
    return text[start:text.index("```", start)]


def env(**extra: str) -> dict[str, str]:
    """This environment without any CONSENTKIT_* variable (they would win over the snippets' settings)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTKIT_")}
    return {**clean, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def python(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env(**extra), capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(("doc", "name", "prelude", "database"), [
    ("flask.md", "flask-setup", "", "instance/consentkit.db"),
    ("fastapi.md", "fastapi-setup", "", "consentkit.db"),
    ("django.md", "django-setup", "from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent\n", None),
])
def test_setup_snippets_say_when_the_secret_is_unset(doc: str, name: str, prelude: str, database: str | None,
                                                     tmp_path: Path) -> None:
    (tmp_path / "site_module.py").write_text(prelude + snippet(doc, name), "utf-8")
    unset = python(tmp_path, "-c", "import site_module")
    assert unset.returncode == 1
    assert unset.stderr.startswith("CONSENTKIT_SECRET is not set: ") and "Traceback" not in unset.stderr
    assert unset.stderr.count("\n") == 1  # one line

    started = python(tmp_path, "-c", "import site_module; print(site_module.__name__)", CONSENTKIT_SECRET=SECRET)
    assert started.returncode == 0, started.stderr
    if database is not None:  # created where the docs say, and nothing outside the working directory
        assert (tmp_path / database).is_file()


FLASK_SITE = f"""
from flask import Flask
from consentkit_flask import ConsentKit

def create_app(config):
    app = Flask(__name__)
    ConsentKit(app, config=config)
    app.get("/")(lambda: {PAGE})
    return app
"""

FASTAPI_SITE = f"""
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from consentkit_fastapi import install

def create_app(config):
    app = FastAPI()
    install(app, config)
    app.get("/", response_class=HTMLResponse)(lambda: {PAGE})
    return app
"""


@pytest.mark.parametrize(("doc", "name", "site"), [
    ("flask.md", "flask-testing", FLASK_SITE),
    ("fastapi.md", "fastapi-testing", FASTAPI_SITE),
])
def test_testing_snippets_pass(doc: str, name: str, site: str, tmp_path: Path) -> None:
    (tmp_path / "test_site.py").write_text(site + snippet(doc, name), "utf-8")
    run = python(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_site.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


DJANGO_SETTINGS = """
from pathlib import Path

SECRET_KEY = "docs-tests-" + "d" * 40
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["consentkit_django"]
MIDDLEWARE = ["consentkit_django.middleware.ConsentMiddleware"]
ROOT_URLCONF = "urls"
DATABASES = {}
USE_TZ = True
CONSENTKIT = {"secret_keys": ["u" * 40], "storage_url": f"sqlite:///{Path(__file__).parent / 'not-used.db'}"}
"""
DJANGO_URLS = f"""
from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("", lambda request: HttpResponse({PAGE}))]
"""


def test_django_testing_snippet_passes(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(DJANGO_SETTINGS, "utf-8")
    (tmp_path / "urls.py").write_text(DJANGO_URLS, "utf-8")
    (tmp_path / "test_site.py").write_text(snippet("django.md", "django-testing"), "utf-8")
    run = python(tmp_path, "-m", "django", "test", "test_site", "--settings=settings", "--pythonpath=.")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Ran 1 test" in run.stderr and "\nOK" in run.stderr
    assert not (tmp_path / "not-used.db").exists()  # each test had its own database


CHAT_PRELUDES = {
    "Django": "import django\nfrom django.conf import settings\n"
              f"settings.configure(CONSENTKIT={{'secret_keys': ['{SECRET}'], 'storage_url': 'sqlite:///ck.db'}})\n"
              "django.setup()\n",
    "Flask": "from flask import Flask\nfrom consentkit_flask import ConsentKit\napp = Flask(__name__)\n"
             f"ConsentKit(app, config={{'secret_keys': ['{SECRET}'], 'storage_url': 'sqlite:///ck.db'}})\n",
    "FastAPI": "from fastapi import FastAPI\napp = FastAPI()\n"
               f"config = {{'secret_keys': ['{SECRET}'], 'storage_url': 'sqlite:///ck.db'}}\n",
}
CHAT_CHECK = """
from consentkit.engine import Engine
assert isinstance(kit, Engine)

@kit.chat.rule(name="docs")
def docs_hook(ctx):
    return True

assert [name for name, _ in kit.chat.hooks] == ["docs"]
print("registered")
"""


@pytest.mark.parametrize("framework", ["Django", "Flask", "FastAPI"])
def test_chat_hook_registry_from_each_adapter(framework: str, tmp_path: Path) -> None:
    block = snippet("chat.md", "chat-adapters")
    parts = {part.split(":", 1)[0]: part for part in re.split(r"(?m)^# ", block) if part.strip()}
    code = CHAT_PRELUDES[framework] + textwrap.dedent(parts[framework].split("\n", 1)[1]) + CHAT_CHECK
    run = python(tmp_path, "-c", code)
    assert run.returncode == 0 and run.stdout.strip() == "registered", run.stderr

"""The declared dependencies are exactly what the code imports, and the extras stay optional.

Each package's imports are read from its source (an AST walk, so imports inside functions count),
mapped to distributions with the installed metadata, and compared with its pyproject.toml: a
dependency nobody imports, or an import that arrives only through someone else's dependency, fails.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Modules of the core whose imports belong to an extra; everything else may use only the core's own.
EXTRA_OF_MODULE = {
    "consentkit/collect/geo.py": "geo",
    "consentkit/storage/postgres.py": "postgres",
    "consentkit/demo.py": "demo",
    "consentkit/console/shell.py": "console",
    "consentkit/console/replies.py": "console",
    "consentkit/console/serve.py": "console",
}
PACKAGES = {
    "consentkit": (ROOT, ROOT / "src"),
    "consentkit-django": (ROOT / "integrations/django", ROOT / "integrations/django/src"),
    "consentkit-flask": (ROOT / "integrations/flask", ROOT / "integrations/flask/src"),
    "consentkit-fastapi": (ROOT / "integrations/fastapi", ROOT / "integrations/fastapi/src"),
}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert found, requirement
    return normalized(found.group(1))


def imported_modules(path: Path) -> set[str]:
    """Top-level names of the absolute imports in `path`, standard library and `__future__` left out."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "__future__"}


def distributions_of(modules: set[str], own: set[str]) -> set[str]:
    """The distributions that provide `modules` (the package's own top-level modules left out)."""
    # editable installs of this repository's own packages are not in the metadata's module map
    provided = {**packages_distributions(), **{normalized(n).replace("-", "_"): [n] for n in PACKAGES}}
    found: set[str] = set()
    for module in modules - own:
        assert module in provided, f"{module} is imported but no installed distribution provides it"
        found.update(normalized(d) for d in provided[module])
    return found


def project(folder: Path) -> dict[str, object]:
    data = tomllib.loads((folder / "pyproject.toml").read_text("utf-8"))
    return dict(data)


def imports_by_group(src: Path) -> dict[str | None, set[str]]:
    """Distributions imported by the core (None) and by each extra's modules."""
    own = {p.name for p in src.iterdir() if p.is_dir() or p.suffix == ".py"}
    groups: dict[str | None, set[str]] = {}
    for path in sorted(src.rglob("*.py")):
        extra = EXTRA_OF_MODULE.get(path.relative_to(src).as_posix())
        groups.setdefault(extra, set()).update(distributions_of(imported_modules(path), own))
    return groups


@pytest.mark.parametrize("name", PACKAGES)
def test_dependencies_are_exactly_the_imports(name: str) -> None:
    folder, src = PACKAGES[name]
    meta = project(folder)["project"]
    assert isinstance(meta, dict) and meta["name"] == name
    declared = {requirement_name(r) for r in meta["dependencies"]}
    optional = meta.get("optional-dependencies", {})
    extras = {extra: {requirement_name(r) for r in reqs} for extra, reqs in optional.items()}
    used = imports_by_group(src)
    core = used.pop(None, set())
    assert declared == core, f"{name}: not imported {declared - core}, imported but undeclared {core - declared}"
    for extra, dists in used.items():
        assert extra in extras, f"{name}: modules of the {extra!r} extra exist but the extra does not"
        assert dists - declared == extras[extra], f"{name}[{extra}]"
    assert set(extras) == set(used), f"{name}: extras without modules: {set(extras) - set(used)}"


def test_the_core_declares_its_extras_and_no_test_extra() -> None:
    meta = project(ROOT)["project"]
    assert isinstance(meta, dict)
    assert set(meta["optional-dependencies"]) == {"geo", "postgres", "demo", "console"}
    groups = project(ROOT)["dependency-groups"]
    assert isinstance(groups, dict) and "pytest>=8" in groups["dev"]


def test_a_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom . import x\ndef f():\n    import maxminddb.reader\n    from psycopg import sql")
    assert imported_modules(module) == {"maxminddb", "psycopg"}


# The core without any extra: imported and serving, with each extra's absence named when it is needed.
WITHOUT_EXTRAS = """
import sys
for name in ("maxminddb", "psycopg", "psycopg_pool", "starlette", "uvicorn"):
    sys.modules[name] = None  # as if not installed
import consentkit
from consentkit import ConsentConfig, ConfigError, WSGIConsentMiddleware
from consentkit.storage import StoreError, open_store

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<p>hi</p>"]

mw = WSGIConsentMiddleware(app, config=ConsentConfig(secret_keys=["k" * 40], storage_url=sys.argv[1]))
out = []
body = mw({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "t", "SERVER_PORT": "80",
           "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1"}, lambda status, headers: out.append(status))
print(out[0], b"".join(body).decode())
mw.engine.close()
try:
    WSGIConsentMiddleware(app, config=ConsentConfig(
        secret_keys=["k" * 40], storage_url=sys.argv[1], collection={"geoip_city_db": sys.argv[2]}))
except ConfigError as exc:
    print("geo:", " | ".join(str(exc).splitlines()))
try:
    open_store("postgresql://nobody@127.0.0.1:1/none")
except StoreError as exc:
    print("postgres:", exc)
"""


def test_the_core_works_without_its_extras(tmp_path: Path) -> None:
    city = ROOT / "tests/data/maxmind/GeoIP2-City-Test.mmdb"
    run = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS, f"sqlite:///{tmp_path / 'ck.db'}", str(city)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "200 OK <p>hi</p>"
    assert lines[1].startswith("geo: ") and "pip install 'consentkit[geo]'" in lines[1] and str(city) in lines[1]
    assert lines[2] == "postgres: PostgreSQL storage needs psycopg: pip install 'consentkit[postgres]'"

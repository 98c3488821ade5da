"""The `consentkit` command as a user meets it: messages, not tracebacks; nothing created by mistake."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from consentkit import __version__
from consentkit.cli import main
from consentkit.ledger import LedgerDraft
from consentkit.storage import open_store
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


def many_events_db(tmp_path: Path, n: int = 3000) -> str:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    store = open_store(url)
    try:
        store.write_events([{"ts": 1_714_564_800.0 + i, "kind": "pageview", "method": "GET", "host": "example.com",
                             "path": f"/page/{i}", "status": 200, "visitor_id": "v" * 22, "policy_version": "1",
                             "basis": "analytics,necessary", "truncated": False} for i in range(n)])
    finally:
        store.close()
    return url


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table"])
def test_events_piped_into_head_stop_quietly(tmp_path: Path, fmt: str) -> None:
    url = many_events_db(tmp_path)
    proc = subprocess.Popen([str(BIN / "consentkit"), "events", "--storage-url", url, "--format", fmt],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does once it has its line
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 1
    assert first and err == ""


def test_check_of_a_directory_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == f"consentkit: {tmp_path}: is a directory, not a file"


def test_export_of_an_unreadable_ledger_record_is_a_message(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    store = open_store(url)
    store.append_ledger(LedgerDraft(1_714_564_800.0, "c" * 22, ("analytics",), (), "1", "h" * 64, False, False,
                                    "banner", None, None))
    store.execute("UPDATE ck_ledger SET granted = 'not json'")
    store.close()
    assert main(["export", "--subject", "c" * 22, "--storage-url", url]) == 1
    assert capsys.readouterr().err.startswith("consentkit: ledger record 1: stored values are not readable")
    assert main(["ledger", "verify", "--storage-url", url]) == 1
    assert capsys.readouterr().out.startswith("BAD: record 1: stored values are not readable")


def test_renaming_a_category_gives_one_line_per_distinct_problem_naming_the_field_groups(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "consentkit.toml"
    f.write_text(f'secret_keys = ["{KEY}"]\ndefault_granted = ["stats", "stats"]\n'
                 '[collection.fields]\nip = "analytics"\nbrowser = "marketing"\ngeo = "analytics"\n'
                 '[[categories]]\nkey = "necessary"\ntitle = "Necessary"\nrequired = true\n'
                 '[[categories]]\nkey = "statistics"\ntitle = "Statistics"\n')
    assert main(["check", str(f)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "consentkit configuration has 4 problem(s):"
    known = "(known: necessary, statistics)"
    assert lines[1:] == [
        f"  - default_granted: unknown category 'stats' {known}",
        f"  - ids_category: unknown category 'analytics' {known}",
        f"  - collection.fields: unknown category 'analytics' for the field group(s) ip, geo {known}",
        f"  - collection.fields: unknown category 'marketing' for the field group(s) browser {known}",
    ]


REVIEW_COMMANDS = [["ledger", "verify"], ["events"], ["export", "--subject", "c" * 22],
                   ["erase", "--subject", "c" * 22], ["purge", "--dry-run"], ["purge"]]


@pytest.mark.parametrize("command", REVIEW_COMMANDS, ids=" ".join)
def test_review_commands_never_create_a_database(tmp_path: Path, command: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    mistyped = tmp_path / "new" / "dmeo.db"
    assert main([*command, "--storage-url", f"sqlite:///{mistyped}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"consentkit: storage: no SQLite database at {mistyped}: it does not exist"
    assert not mistyped.parent.exists()
    other = tmp_path / "other.db"
    other.write_bytes(b"")
    assert main([*command, "--storage-url", f"sqlite:///{other}"]) == 1
    assert "holds no consentkit data" in capsys.readouterr().err and other.read_bytes() == b""


def test_reading_commands_are_read_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """They work while the site holds the write lock, and leave the file as it was."""
    url = many_events_db(tmp_path, 5)
    store = open_store(url)
    store.append_ledger(LedgerDraft(1_714_564_800.0, "c" * 22, ("analytics",), (), "1", "h" * 64, False, False,
                                    "banner", None, None))
    store.close()
    db = tmp_path / "events.db"
    before = db.read_bytes()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for command in (["ledger", "verify"], ["events"], ["export", "--subject", "c" * 22], ["purge", "--dry-run"]):
            assert main([*command, "--storage-url", url]) == 0, capsys.readouterr().err
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    out = capsys.readouterr().out
    assert "OK: 1 ledger records verified" in out and out.count('"path": "/page/') == 5
    assert db.read_bytes() == before


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without a configuration file, and no CONSENTKIT_* variable."""
    for name in list(os.environ):
        if name.startswith("CONSENTKIT_"):
            monkeypatch.delenv(name)
    work = tmp_path / "site"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.mark.parametrize("command", [c for c in REVIEW_COMMANDS if c != ["purge"]], ids=" ".join)
def test_without_a_configuration_file_the_command_says_where_it_looked(
        no_config: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(command) == 1
    err = capsys.readouterr().err
    looked = f"looked for {no_config / 'consentkit.toml'} and {no_config / 'pyproject.toml'}"
    assert f"no configuration file: {looked}" in err
    assert "secret_keys" not in err


def test_check_without_a_configuration_file_says_where_it_looked(no_config: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "secret_keys: Field required" in err and f"looked for {no_config / 'consentkit.toml'}" in err


def test_commands_that_never_sign_need_no_secret(no_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = many_events_db(no_config, 3)
    assert main(["purge", "--dry-run", "--storage-url", url]) == 0
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    (no_config / "consentkit.toml").write_text(f'storage_url = "{url}"\n')  # no secret_keys
    for command in (["ledger", "verify"], ["events"], ["export", "--subject", "v" * 22], ["purge"]):
        assert main(command) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["check"]) == 1  # check validates the whole configuration, the secret included
    assert "secret_keys: Field required" in capsys.readouterr().err


APPS = {
    "fastapi_install": """
from fastapi import FastAPI
from consentkit_fastapi import install
app = FastAPI()
install(app, {"secret_keys": [KEY], "storage_url": URL})
""",
    "starlette_add_middleware": """
from starlette.applications import Starlette
from consentkit import ConsentConfig, ConsentMiddleware
app = Starlette()
app.add_middleware(ConsentMiddleware, config=ConsentConfig(secret_keys=[KEY], storage_url=URL))
""",
    "asgi_middleware": """
from consentkit import ConsentMiddleware
async def site(scope, receive, send):
    pass
app = ConsentMiddleware(site, config={"secret_keys": [KEY], "storage_url": URL})
""",
    "wsgi_middleware": """
from consentkit import WSGIConsentMiddleware
def site(environ, start_response):
    return []
application = WSGIConsentMiddleware(site, config={"secret_keys": [KEY], "storage_url": URL})
""",
    "flask_extension": """
from flask import Flask
from consentkit_flask import ConsentKit
app = Flask(__name__)
app.config["CONSENTKIT"] = {"secret_keys": [KEY], "storage_url": URL}
ConsentKit(app)
""",
}


@pytest.mark.parametrize("kind", list(APPS))
def test_app_option_takes_the_configuration_of_an_app_configured_in_code(
        no_config: Path, kind: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    url = many_events_db(no_config, 2)
    name = f"ck_app_{kind}"
    (no_config / f"{name}.py").write_text(f"KEY = {KEY!r}\nURL = {url!r}\n" + APPS[kind])
    spec = f"{name}:{'application' if kind == 'wsgi_middleware' else 'app'}"
    try:
        assert main(["check", "--app", spec]) == 0, capsys.readouterr().err
        assert json.loads(capsys.readouterr().out)["storage_url"] == url
        assert main(["events", "--app", spec, "--format", "csv", "--fields", "path"]) == 0
        assert capsys.readouterr().out == "path\n/page/0\n/page/1\n"
    finally:
        sys.modules.pop(name, None)


def test_app_option_through_the_real_command(no_config: Path) -> None:
    url = many_events_db(no_config, 1)
    (no_config / "shop.py").write_text(f"KEY = {KEY!r}\nURL = {url!r}\n" + APPS["fastapi_install"])
    done = subprocess.run([str(BIN / "consentkit"), "ledger", "verify", "--app", "shop:app"], capture_output=True,
                          text=True, timeout=60, cwd=no_config)
    assert (done.returncode, done.stdout.strip()) == (0, "OK: 0 ledger records verified"), done.stderr


@pytest.mark.parametrize(("spec", "message"), [
    ("shop", "--app: 'shop' is not MODULE:ATTR, e.g. mysite.main:app"),
    ("no_such_module_here:app", "--app: cannot import 'no_such_module_here'"),
    ("ck_plain:nothing", "--app: 'ck_plain' has no attribute 'nothing'"),
    ("ck_plain:app", "--app: consentkit is not in front of ck_plain:app"),
])
def test_app_option_names_what_is_wrong(no_config: Path, spec: str, message: str, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    (no_config / "ck_plain.py").write_text("def app(environ, start_response):\n    return []\n")
    try:
        assert main(["events", "--app", spec]) == 1
        assert message in capsys.readouterr().err
    finally:
        sys.modules.pop("ck_plain", None)


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("framework", ["django", "flask"])
@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_the_framework_commands_show_consentkits_help_and_version(tmp_path: Path, framework: str, flag: str) -> None:
    env = {**os.environ, "CONSENTKIT_SECRET_KEYS": "example-test-" + "s" * 40,
           "DJANGO_SECRET_KEY": "example-test-" + "d" * 40, "CONSENTKIT_STORAGE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    if framework == "django":
        argv, cwd = [str(BIN / "python"), "manage.py", "consentkit", flag], EXAMPLES / "django_site"
    else:
        argv, cwd = [str(BIN / "flask"), "--app", "app.py", "consentkit", flag], EXAMPLES / "flask_app"
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    if flag == "--help":
        assert done.stdout.startswith("usage: consentkit [-h] [--version]")
        listed = set(done.stdout.split("{", 1)[1].split("}", 1)[0].split(","))
        commands = {"check", "ledger", "demo", "events", "export", "erase", "purge", "audit", "declaration", "stats",
                    "rollup", "report"}
        assert commands <= listed
    else:
        assert done.stdout.strip() == f"consentkit {__version__}"


@pytest.mark.postgres
def test_review_commands_create_no_tables_in_an_empty_postgresql_database(
        pg_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in REVIEW_COMMANDS:
        assert main([*command, "--storage-url", pg_db_url]) == 1
        assert "holds no consentkit data" in capsys.readouterr().err
    import psycopg

    with psycopg.connect(pg_db_url) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    assert tables == []




@pytest.mark.postgres
def test_reading_commands_need_only_select_on_postgresql(pg_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A privacy team's database role that may only read is enough for every command that reads."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    store = open_store(pg_db_url)
    store.append_ledger(LedgerDraft(1_714_564_800.0, "c" * 22, ("analytics",), (), "1", "h" * 64, False, False,
                                    "banner", None, None))
    store.close()
    role = f"ck_reader_{os.getpid()}"
    with psycopg.connect(pg_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'reader-pw'")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    parts = urlsplit(pg_db_url)
    reader = urlunsplit(parts._replace(netloc=f"{role}:reader-pw@{parts.netloc.rpartition('@')[2]}"))
    try:
        for command in (["ledger", "verify"], ["events"], ["export", "--subject", "c" * 22], ["purge", "--dry-run"]):
            assert main([*command, "--storage-url", reader]) == 0, capsys.readouterr().err
        capsys.readouterr()
        assert main(["erase", "--subject", "c" * 22, "--storage-url", reader]) == 1  # the role cannot write
        assert "permission denied" in capsys.readouterr().err
    finally:
        with psycopg.connect(pg_db_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")

"""A real, throw-away PostgreSQL server for the tests (and the benchmarks).

`PgServer.start()` runs initdb + pg_ctl on a fresh temporary directory: 127.0.0.1 only on a free port,
the unix socket inside that directory, trust authentication, fsync off. When running as root the
server commands run as the `postgres` OS user (initdb refuses root), with the directory handed to it.

Fixtures:

- `pg_url` (session): the server's URL (maintenance database `postgres`);
- `pg_db_url`: a fresh database per test, dropped afterwards;
- `any_store_url`: parametrized over ["sqlite", "postgres"] for store tests that must pass on both.

No PostgreSQL binaries means a test failure with instructions, never a silent skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consentkit.storage import Store, open_store
from servers import free_port

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"


class PgSetupError(RuntimeError):
    """The test PostgreSQL server could not be started."""


def find_bin_dir() -> Path:
    """The newest PostgreSQL server binaries: $CONSENTKIT_PG_BIN, /usr/lib/postgresql/*/bin, or the PATH."""
    explicit = os.environ.get("CONSENTKIT_PG_BIN")
    candidates = [explicit] if explicit else []
    candidates += sorted(glob.glob(BIN_GLOB), key=lambda p: _version_key(Path(p).parent.name), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    raise PgSetupError(
        "no PostgreSQL server binaries found (looked in $CONSENTKIT_PG_BIN, /usr/lib/postgresql/*/bin and the "
        "PATH). Install them with `scripts/bootstrap --system` (Debian package `postgresql`) or run "
        "`scripts/test`, which does it."
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)



def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix that drops root to the postgres user, and that user's uid/gid."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PgSetupError(
            f"running as root but there is no {SERVER_USER!r} OS user to run PostgreSQL as (initdb refuses root); "
            "install the Debian package `postgresql`, which creates it, or run the tests as a normal user"
        ) from None
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", SERVER_USER, "--"], pw.pw_uid, pw.pw_gid
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups"], pw.pw_uid, pw.pw_gid
    raise PgSetupError("running as root and neither runuser nor setpriv is available to drop to the postgres user")


class PgServer:
    """One PostgreSQL cluster in a temporary directory; `stop()` shuts it down and removes everything."""

    def __init__(self, base: Path, bin_dir: Path, port: int, prefix: list[str]) -> None:
        self.base = base
        self.bin_dir = bin_dir
        self.port = port
        self._prefix = prefix
        self.data = base / "data"
        self.sockets = base / "sockets"
        self.log = base / "server.log"
        self.running = False

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{dbname}"

    @classmethod
    def start(cls, *, settings: dict[str, str] | None = None, attempts: int = 3) -> PgServer:
        bin_dir = find_bin_dir()
        prefix, uid, gid = _as_server_user()
        base = Path(tempfile.mkdtemp(prefix="consentkit-pg-"))
        try:
            if uid is not None and gid is not None:
                os.chown(base, uid, gid)
            server = cls(base, bin_dir, 0, prefix)
            server.initdb()
            for attempt in itertools.count(1):
                server.port = free_port()
                try:
                    server.run_server(settings or {})
                    return server
                except PgSetupError:
                    if attempt >= attempts:
                        raise
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        raise AssertionError("unreachable")

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [*self._prefix, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.base)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise PgSetupError(
                f"{' '.join(args[:2])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}".rstrip()
            )
        return proc

    def initdb(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", SERVER_USER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )
        self._run("mkdir", "-p", str(self.sockets))

    def run_server(self, settings: dict[str, str]) -> None:
        conf = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.sockets),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "60",
            "shared_buffers": "64MB",
            **settings,
        }
        opts = " ".join(f"-c {k}={v}" for k, v in conf.items())
        self._run(str(self.bin_dir / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", "60", "-o", opts)
        self.running = True

    def stop(self, *, remove: bool = True) -> None:
        if self.running:
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w",
                          timeout=60)
            finally:
                self.running = False
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = PgServer.start()
    except PgSetupError as exc:
        pytest.fail(f"cannot start the test PostgreSQL server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    """URL of the session's PostgreSQL server (database `postgres`)."""
    return pg_server.url


_db_numbers = itertools.count(1)


@pytest.fixture
def pg_db_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database for one test; dropped (connections and all) afterwards."""
    name = f"ck_test_{os.getpid()}_{next(_db_numbers)}_{int(time.time() * 1000) % 100000}"
    create_database(pg_server.url, name)
    try:
        yield pg_server.url_for(name)
    finally:
        drop_database(pg_server.url, name)


@pytest.fixture(params=["sqlite", "sqlite-filing", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A storage URL of an empty store on each engine in turn.

    SQLite runs twice: as configured (tests write too few events for the subject filing to start, so
    lookups take the unfiled tail) and filing every 3 events (lookups take both paths)."""
    if request.param.startswith("sqlite"):
        if request.param == "sqlite-filing":
            monkeypatch.setattr("consentkit.storage.sqlite.SUBJECT_INDEX_ROWS", 3)
        return f"sqlite:///{tmp_path / 'ck.db'}"
    return str(request.getfixturevalue("pg_db_url"))


@pytest.fixture
def store(any_store_url: str) -> Iterator[Store]:
    """An empty store on each engine in turn (`any_store_url`), closed afterwards."""
    s = open_store(any_store_url)
    yield s
    s.close()

"""Storage engines behind one interface; `open_store` picks one from a URL."""

from __future__ import annotations

from consentkit.storage.base import Store, StoreError


def open_store(url: str, *, migrate: bool = True, existing: bool = False, read_only: bool = False) -> Store:
    """`sqlite:///path`, `sqlite://:memory:` or `postgresql://...`; migrations applied unless told not to.

    `existing`: a SQLite file is never created (nor its folders): a missing one is a `StoreError`
    naming the path. `read_only` (implies `existing`, no migrations): for commands that only read.
    """
    store: Store
    if url.startswith("sqlite://"):
        from consentkit.storage.sqlite import SQLiteStore

        rest = url.removeprefix("sqlite://")
        path = ":memory:" if rest in (":memory:", "/:memory:") else rest.removeprefix("/")
        store = SQLiteStore(path, create=not (existing or read_only), read_only=read_only)
    elif url.startswith(("postgres://", "postgresql://")):
        try:
            from consentkit.storage.postgres import PostgresStore
        except ImportError as exc:
            if exc.name not in ("psycopg", "psycopg_pool"):
                raise
            raise StoreError("PostgreSQL storage needs psycopg: pip install 'consentkit[postgres]'") from None
        store = PostgresStore(url)
    else:
        raise StoreError(f"storage_url: unsupported {url!r}; use sqlite:///PATH or postgresql://...")
    if migrate and not read_only:
        store.migrate()
    return store


__all__ = ["Store", "StoreError", "open_store"]

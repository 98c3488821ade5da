"""Storage engines behind one interface; `open_store` picks one from a URL."""

from __future__ import annotations

from consentkit.storage.base import Store, StoreError


def open_store(url: str, *, migrate: bool = True) -> Store:
    """`sqlite:///path`, `sqlite://:memory:` or `postgresql://...`; migrations applied unless told not to."""
    store: Store
    if url.startswith("sqlite://"):
        from consentkit.storage.sqlite import SQLiteStore

        rest = url.removeprefix("sqlite://")
        store = SQLiteStore(":memory:" if rest in (":memory:", "/:memory:") else rest.removeprefix("/"))
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
    if migrate:
        store.migrate()
    return store


__all__ = ["Store", "StoreError", "open_store"]

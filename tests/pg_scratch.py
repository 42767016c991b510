"""A scratch database on the PostgreSQL service on loopback, for one test or one session: created
empty, migrated to the newest schema (or left empty), dropped at the end even if the test fails."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_postgres(prefix: str = "candor_test", migrate: bool = True) -> Iterator[str]:
    """The SQLAlchemy URL of a new database named ``prefix`` plus a random suffix."""
    import psycopg

    from candor.db import get_engine
    from candor.migrate import upgrade

    admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin.execute(f"CREATE DATABASE {name}")
    # A test that leaves a transaction open (a session never closed) would hold its row locks for
    # the rest of the run, and every later test touching those rows would wait forever (CI hung
    # twice so). PostgreSQL ends such a session after a minute instead; no test idles that long.
    admin.execute(f"ALTER DATABASE {name} SET idle_in_transaction_session_timeout = '60s'")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()

"""Engine, sessions and the declarative base shared by every package's models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from candor.settings import get_settings


class Base(DeclarativeBase):
    """Declarative base; every table of every package hangs off its metadata."""


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached; callers answer 503 instead of pretending success."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utc_text(moment: datetime) -> str:
    """How every payload writes a moment: ISO 8601 in UTC with a ``Z`` (the database keeps naive
    UTC; an aware datetime is converted first). The API's response models use it through
    ``web.schemas.UtcDatetime``; dicts built below the web layer call it directly."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE run by ``Session.execute`` matched. SQLAlchemy types that
    call's result as a plain ``Result``; for those statements it is a ``CursorResult``."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no rowcount: not an UPDATE or DELETE result")
    return result.rowcount


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # WAL lets the web app and the action server read while the other writes.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, so an erased customer's words leave the file.
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    # hide_parameters: a database error in a log never quotes the values (customers' words).
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().database_url)


@lru_cache
def get_sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    # One per database: each sessionmaker makes a Session subclass of its own, and SQLAlchemy sets up
    # event dispatch for every new class (a few % of the web app's CPU when made per transaction).
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: commit on success, roll back on error, wrap connection failures."""
    session = get_sessionmaker(url)()
    try:
        yield session
        session.commit()
    except OperationalError as error:
        session.rollback()
        raise _unavailable(error) from error
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def connection_scope(url: str | None = None) -> Iterator[Connection]:
    """A pooled Core connection for a quick read on a hot path (no ORM session); connection
    failures are wrapped as session_scope wraps them."""
    try:
        with get_engine(url).connect() as connection:
            yield connection
    except OperationalError as error:
        raise _unavailable(error) from error


def _unavailable(error: OperationalError) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"Cannot reach the database: {error.orig}")

"""The touchpoint CSV export, streamed in constant memory with the dashboard's window: PostgreSQL
writes the rows itself (``COPY ... TO STDOUT``, read chunk by chunk through psycopg), other
databases go through a server-side cursor and Python's csv writer. Both give the same bytes: the
COPY statement spells every value the way the Python path does (test_export.py compares them)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.db import utc_text
from touchpoints.analytics import EXPORT_COLUMNS
from touchpoints.models import Touchpoint

CHUNK_ROWS = 1000


def _time(column: str) -> str:
    """utc_text in SQL: ISO 8601 with a T and a Z, microseconds only when there are any."""
    return (f"to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {column}) = {column}"
            f" THEN '' ELSE to_char({column}, '.US') END || 'Z'")


def _float(column: str) -> str:
    """Python's repr of a float: PostgreSQL's shortest form already matches it (same digits, an
    exponent below 1e-4), but for the '.0' Python puts after a whole number. Magnitudes from 1e15
    up (no duration or score gets there) would be spelled differently."""
    return (f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 THEN {column}::text || '.0' "
            f"ELSE {column}::text END")


def _joined(column: str) -> str:
    """A JSON list joined with ';' in its order; NULL when empty, as COPY writes an empty string
    quoted ("") and the csv module writes nothing."""
    return (f"CASE WHEN json_typeof({column}) = 'array' THEN (SELECT nullif(string_agg(e.value, ';' "
            f"ORDER BY e.n), '') FROM json_array_elements_text({column}) WITH ORDINALITY AS e(value, n)) END")


def _boolean(column: str) -> str:
    return f"CASE WHEN {column} THEN 'True' ELSE 'False' END"


def _as_is(column: str) -> str:
    return column


SPELLING = {"started_at": _time, "last_activity_at": _time, "escalated": _boolean, "satisfaction_predicted": _boolean,
            "escalation_reasons": _joined, "articles": _joined, "time_to_resolution_s": _float,
            "queue_wait_s": _float, "sentiment_avg": _float, "sentiment_trend": _float, "satisfaction": _float}


def copy_statement(since: datetime | None, until: datetime | None) -> tuple[str, dict[str, Any]]:
    """The COPY statement and its parameters (psycopg binds them client-side: COPY takes none)."""
    values = ", ".join(SPELLING.get(name, _as_is)(f"t.{name}") for name in EXPORT_COLUMNS)
    where, params = [], {}
    if since:
        where.append("t.started_at >= %(since)s")
        params["since"] = since
    if until:
        where.append("t.started_at < %(until)s")
        params["until"] = until
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return (f"COPY (SELECT {values} FROM touchpoints t{condition} ORDER BY t.started_at, t.conversation_id) "
            "TO STDOUT (FORMAT csv)", params)


def _header() -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(EXPORT_COLUMNS)
    return out.getvalue()


def _copied(session: Session, since: datetime | None, until: datetime | None) -> Iterator[bytes]:
    statement, params = copy_statement(since, until)
    raw: Any = session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement, params) as copy:
        for data in copy:   # the server's chunks as they come: ~one row to a few KB each
            yield bytes(data)


def export_rows(session: Session, since: datetime | None = None, until: datetime | None = None,
                batch: int = 5000) -> Iterator[list[Any]]:
    """Every touchpoint in the window as CSV values in EXPORT_COLUMNS order, oldest first, streamed:
    a server-side cursor on PostgreSQL, ``batch`` rows in memory at a time."""
    query = select(*(getattr(Touchpoint, name) for name in EXPORT_COLUMNS)).order_by(
        Touchpoint.started_at, Touchpoint.conversation_id)
    if since:
        query = query.where(Touchpoint.started_at >= since)
    if until:
        query = query.where(Touchpoint.started_at < until)
    started, last, reasons, articles = (EXPORT_COLUMNS.index(name) for name in (
        "started_at", "last_activity_at", "escalation_reasons", "articles"))
    for row in session.execute(query.execution_options(yield_per=batch)).tuples():
        values = list(row)
        values[started] = utc_text(values[started])
        values[last] = utc_text(values[last])
        values[reasons] = ";".join(values[reasons] or [])
        values[articles] = ";".join(values[articles] or [])
        yield values


def _written(session: Session, since: datetime | None, until: datetime | None) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for n, row in enumerate(export_rows(session, since, until), start=1):
        writer.writerow(row)
        if n % CHUNK_ROWS == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def csv_chunks(session: Session, since: datetime | None = None, until: datetime | None = None,
               copy: bool = True) -> Iterator[bytes]:
    """The header, then every touchpoint started in [since, until), oldest first, as UTF-8 CSV
    (lines end in LF, as COPY writes them). The session must stay open while this is read.
    ``copy=False`` takes the csv-writer path on PostgreSQL too (the bench compares them)."""
    yield _header().encode()
    if copy and session.get_bind().dialect.name == "postgresql":
        # COPY's chunks are tiny (one per row); gather them so a response sends fewer, larger pieces
        pending, size = [], 0
        for data in _copied(session, since, until):
            pending.append(data)
            size += len(data)
            if size >= 64 * 1024:
                yield b"".join(pending)
                pending, size = [], 0
        yield b"".join(pending)
    else:
        yield from _written(session, since, until)

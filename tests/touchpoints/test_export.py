"""The CSV export round trip: the same touchpoints on SQLite (csv writer over a cursor) and on
PostgreSQL (COPY, and the writer too) give the same bytes, with the dashboard's window, and read
back as the stored values."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from pg_scratch import scratch_postgres
from sqlalchemy.orm import Session

from candor.db import get_engine, utc_text
from candor.migrate import upgrade
from touchpoints.analytics import EXPORT_COLUMNS
from touchpoints.export import csv_chunks
from touchpoints.models import Conversation, Touchpoint

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, 8, 0)
# (no -0.0: SQLite keeps no sign on a zero, so the databases would differ before any export)
FLOATS = [4.0, 0.1, 1e-05, 123.456789, -0.5, 0.0, 86400.0, 2.5e-07, 99999999999999.0, 1 / 3, None]


def touchpoints() -> list[dict]:
    """Values that test the spelling: whole and fractional floats, tiny ones, NULLs, lists with a
    comma, a quote and a line break, empty lists, times with and without microseconds."""
    rows = []
    for n, value in enumerate(FLOATS):
        rows.append({
            "conversation_id": f"00000000-0000-0000-0000-{n:012d}", "stage": ("pricing", "support")[n % 2],
            "resolution": "escalated" if n % 3 == 0 else "answered_confirmed", "sentiment_avg": value,
            "sentiment_trend": FLOATS[-1 - n], "sentiments": [0.1], "turns": n, "rephrasings": n % 2,
            "time_to_resolution_s": value, "queue_wait_s": None if n % 2 else 30.5,
            "satisfaction": FLOATS[n % 4], "satisfaction_predicted": n % 2 == 0, "experience_score": 10 * n,
            "escalated": n % 3 == 0, "escalation_reasons": ["explicit_request", "low_confidence"][: n % 3],
            "articles": [["a,1", 'say "hi"', "line\nbreak"], [], ["plain"]][n % 3], "formula_version": 3,
            "started_at": T0 + timedelta(hours=n, microseconds=(123456 if n % 2 else 0)),
            "last_activity_at": T0 + timedelta(hours=n, minutes=5), "seen_message_id": 0, "seen_event_id": 0,
            "scored_at": T0})
    return rows


def store(url: str) -> None:
    with Session(get_engine(url)) as session:
        for row in touchpoints():
            session.add(Conversation(id=row["conversation_id"], token_hash="x"))
            session.flush()
            session.add(Touchpoint(**row))
        session.commit()


def exported(url: str, since=None, until=None, copy: bool = True) -> bytes:
    with Session(get_engine(url)) as session:
        return b"".join(csv_chunks(session, since, until, copy=copy))


@pytest.fixture(scope="module")
def urls(tmp_path_factory):
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('export') / 'export.db'}"
    upgrade(sqlite)
    store(sqlite)
    with scratch_postgres("candor_export") as postgres:
        store(postgres)
        yield sqlite, postgres


@pytest.mark.parametrize("window", [(None, None), (T0 + timedelta(hours=2), T0 + timedelta(hours=7, minutes=1)),
                                    (T0 + timedelta(hours=5), None), (T0 - timedelta(days=9), T0)])
def test_the_same_bytes_on_both_databases(urls, window):
    sqlite, postgres = urls
    written = exported(sqlite, *window)
    assert exported(postgres, *window) == written == exported(postgres, *window, copy=False)
    assert written.startswith((",".join(EXPORT_COLUMNS) + "\n").encode())


def test_rows_read_back_as_stored(urls):
    sqlite, postgres = urls
    rows = list(csv.DictReader(io.StringIO(exported(postgres).decode(), newline="")))
    stored = touchpoints()
    assert [r["conversation_id"] for r in rows] == [t["conversation_id"] for t in stored]   # oldest first
    for row, t in zip(rows, stored, strict=True):
        assert row["started_at"] == utc_text(t["started_at"]) and row["last_activity_at"] == utc_text(
            t["last_activity_at"])
        assert row["articles"].split(";") == (t["articles"] or [""])
        assert row["escalation_reasons"] == ";".join(t["escalation_reasons"])
        assert row["escalated"] == str(t["escalated"]) and row["turns"] == str(t["turns"])
        for name in ("sentiment_avg", "time_to_resolution_s", "satisfaction", "queue_wait_s"):
            assert row[name] == ("" if t[name] is None else repr(t[name])), name
            assert (float(row[name]) if row[name] else None) == t[name]

"""Migration 0017 on SQLite and PostgreSQL: escalations already in the database get their first reply
from the transcript (the first agent message while held), and the touchpoint list's keyset index
replaces the index on the start time alone."""

from datetime import datetime, timedelta

import pytest
from alembic import command
from pg_scratch import scratch_postgres
from sqlalchemy import create_engine, inspect, text

from candor.migrate import alembic_config

pytestmark = pytest.mark.unit
T0 = datetime(2026, 6, 1, 9, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    with scratch_postgres("candor_0017", migrate=False) as url:
        yield url


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_backfill_takes_the_first_agent_reply_while_held(url):
    command.upgrade(alembic_config(url), "0016")
    engine = create_engine(url)
    # id: (status, claimed at, closed at); messages per conversation: (sender, minute)
    escalations = {1: ("closed", 0, 10), 2: ("claimed", 20, None), 3: ("queued", None, None), 4: ("closed", 30, 31)}
    messages = {1: [("agent", -1), ("customer", 1), ("agent", 3), ("agent", 4)],   # before the claim: no
                2: [("customer", 21), ("agent", 25)],
                3: [("agent", 40)],                                              # nobody holds it
                4: [("agent", 35)]}                                              # after the close: no
    with engine.begin() as db:
        for n, (status, claimed, closed) in escalations.items():
            db.execute(text("INSERT INTO conversations (id, token_hash, status, attributes, created_at, updated_at) "
                            "VALUES (:id, 'x', 'closed', '{}', :t, :t)"), {"id": f"c{n}", "t": T0})
            db.execute(text(
                "INSERT INTO escalations (id, conversation_id, status, priority, team, reasons, claimed_by, created_at,"
                " sla_due_at, claimed_at, closed_at) VALUES (:id, :c, :status, 3, 'general', '[]', :by, :t, :t,"
                " :claimed, :closed)"),
                {"id": n, "c": f"c{n}", "status": status, "by": "ana" if claimed is not None else None,
                 "t": at(-5), "claimed": at(claimed) if claimed is not None else None,
                 "closed": at(closed) if closed is not None else None})
            for seq, (sender, minute) in enumerate(messages[n], start=1):
                db.execute(text("INSERT INTO messages (conversation_id, seq, sender, text, payload, created_at) "
                                "VALUES (:c, :seq, :sender, 'hi', '{}', :t)"),
                           {"c": f"c{n}", "seq": seq, "sender": sender, "t": at(minute)})
    command.upgrade(alembic_config(url), "0017")
    with engine.connect() as db:
        first = dict(db.execute(text("SELECT id, first_reply_at FROM escalations")).tuples().all())
    as_time = {k: v if v is None or isinstance(v, datetime) else datetime.fromisoformat(v) for k, v in first.items()}
    assert as_time == {1: at(3), 2: at(25), 3: None, 4: None}
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("touchpoints")}
    assert indexes["ix_touchpoints_started_at_conversation_id"] == ["started_at", "conversation_id"]
    assert "ix_touchpoints_started_at" not in indexes
    assert "ix_escalations_claimed_at" in {i["name"] for i in inspect(engine).get_indexes("escalations")}
    command.downgrade(alembic_config(url), "0016")   # and back
    assert "first_reply_at" not in {c["name"] for c in inspect(engine).get_columns("escalations")}
    engine.dispose()

"""A conversation event survives the database being away: retried, spooled, replayed, reported."""

import uuid
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from candor.db import DatabaseUnavailable, session_scope
from touchpoints import spool as spool_module
from touchpoints.models import Event
from touchpoints.spool import EventSpool, record_durably

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(spool_module, "RETRY_DELAYS_S", (0, 0, 0))


class FlakyDatabase:
    """A session factory whose first ``failures`` sessions cannot reach the database."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0

    @contextmanager
    def __call__(self):
        self.attempts += 1
        if self.attempts <= self.failures:
            raise DatabaseUnavailable("Cannot reach the database: connection refused")
        with session_scope() as session:
            yield session


def events_of(conversation_id):
    with session_scope() as session:
        return list(session.scalars(select(Event).where(Event.conversation_id == conversation_id).order_by(Event.id)))


def test_a_brief_outage_is_ridden_out_by_retrying(database, tmp_path):
    spool, conversation = EventSpool(tmp_path / "spool.jsonl"), str(uuid.uuid4())
    flaky = FlakyDatabase(failures=2)
    assert record_durably(spool, conversation, "answer", session_factory=flaky, article_id="a1")
    assert flaky.attempts == 3
    assert [(e.kind, e.data) for e in events_of(conversation)] == [("answer", {"article_id": "a1"})]
    assert spool.counts() == {"spooled": 0, "rejected": 0}


def test_a_long_outage_spools_the_event_and_the_replay_writes_it_once(database, tmp_path, caplog):
    spool, conversation = EventSpool(tmp_path / "spool.jsonl"), str(uuid.uuid4())
    down = FlakyDatabase(failures=10**6)
    assert not record_durably(spool, conversation, "rating", session_factory=down, score=2)
    assert not record_durably(spool, conversation, "feedback", session_factory=down, helpful=False)
    assert down.attempts == 2 * (len(spool_module.RETRY_DELAYS_S) + 1)
    assert "spooled" in caplog.text and conversation in caplog.text
    assert spool.counts() == {"spooled": 2, "rejected": 0}
    assert events_of(conversation) == []

    with pytest.raises(DatabaseUnavailable):  # still down: nothing moves
        spool.replay(FlakyDatabase(failures=10**6))
    assert spool.counts()["spooled"] == 2

    assert spool.replay() == 2
    stored = events_of(conversation)
    assert [(e.kind, e.data) for e in stored] == [("rating", {"score": 2}), ("feedback", {"helpful": False})]
    assert stored[0].created_at <= stored[1].created_at  # the time it happened, not of the replay
    assert spool.counts() == {"spooled": 0, "rejected": 0}
    assert spool.replay() == 0
    assert len(events_of(conversation)) == 2


def test_an_event_the_database_refuses_is_set_aside_not_lost(database, tmp_path):
    spool, good = EventSpool(tmp_path / "spool.jsonl"), str(uuid.uuid4())
    spool.append({"conversation_id": good, "kind": "rating", "data": {"score": 5}, "created_at": "2026-11-01T10:00:00"})
    # A conversation id longer than the column allows is refused by the constraint PostgreSQL
    # enforces; SQLite does not, so a NOT NULL violation stands in for "refused" here.
    spool.append({"conversation_id": None, "kind": "rating", "data": {}, "created_at": "2026-11-01T10:00:01"})
    assert spool.replay() == 1
    assert [e.data for e in events_of(good)] == [{"score": 5}]
    assert spool.counts() == {"spooled": 0, "rejected": 1}
    assert '"conversation_id": null' in spool.rejected_path.read_text()


def test_healthz_reports_spooled_events_as_a_warning(database, tmp_path):
    from candor.settings import Settings
    from web.app import create_app

    settings = Settings(var_dir=tmp_path, rasa_port=9, actions_port=9, rasa_token="t")
    client = TestClient(create_app(settings))
    assert client.get("/healthz").json()["components"]["event_log"] == {"ok": True, "spooled": 0, "rejected": 0}

    EventSpool(settings.event_spool).append(
        {"conversation_id": "c", "kind": "rating", "data": {}, "created_at": "2026-11-01T10:00:00"})
    event_log = client.get("/healthz").json()["components"]["event_log"]
    assert not event_log["ok"] and event_log["spooled"] == 1
    assert "wait for the database" in event_log["detail"]

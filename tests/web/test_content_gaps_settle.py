"""A dashboard read waits briefly for the gap job to place questions logged before it, never for a backlog."""

import time
from types import SimpleNamespace

import pytest

from candor.db import session_scope
from candor.migrate import upgrade
from touchpoints import gap_reads, gap_store
from touchpoints.models import Conversation, Event
from web import knowledge

pytestmark = pytest.mark.unit


def request(running: bool = False) -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(content_gaps=True, gaps_running=running)))


def asked(url: str, n: int) -> None:
    with session_scope(url) as session:
        for i in range(n):
            session.add(Conversation(id=f"c{i}", token_hash="x"))
            session.add(Event(conversation_id=f"c{i}", kind="unsure", data={"question": f"question {i}"}))


@pytest.mark.parametrize("questions, waits", [(0, False), (2, True), (3, False)])
def test_a_read_waits_for_a_few_questions_not_for_a_backlog(tmp_path, monkeypatch, questions, waits):
    url = f"sqlite:///{tmp_path / 'settle.db'}"
    upgrade(url)
    asked(url, questions)
    monkeypatch.setattr(gap_store, "BATCH", 2)
    monkeypatch.setattr(knowledge, "GAPS_SETTLE_S", 0.5)
    with session_scope(url) as session:
        assert gap_reads.waiting(session, 10) == questions
        began = time.monotonic()
        knowledge.settle_gaps(request(), session)
        waited = time.monotonic() - began
    assert (waited >= 0.5) if waits else (waited < 0.4)

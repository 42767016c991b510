"""The escalation state machine, and exactly one winner when agents race to claim."""

import threading
import uuid

import pytest
from sqlalchemy import select

from routing import queue
from routing.models import Escalation
from touchpoints import conversations
from touchpoints.models import Event

pytestmark = pytest.mark.unit


def new_escalation(session) -> Escalation:
    conversation, _ = conversations.create(session)
    return queue.enqueue(session, conversation.id, reasons=["explicit_request"], team="general",
                         priority=2, sla_minutes=10)


def test_transitions_are_checked_and_recorded(session):
    escalation = new_escalation(session)
    assert escalation.status == "queued" and escalation.sla_due_at > escalation.created_at
    queue.claim(session, escalation.id, "ana")
    with pytest.raises(queue.ClaimConflict):
        queue.claim(session, escalation.id, "ben")
    queue.close(session, escalation.id, "ana")
    with pytest.raises(queue.IllegalTransition):
        queue.close(session, escalation.id, "ana")
    with pytest.raises(queue.ClaimConflict):
        queue.claim(session, escalation.id, "ben")
    moves = session.scalars(select(Event).where(Event.kind == "escalation_transition",
                                                Event.conversation_id == escalation.conversation_id)
                            .order_by(Event.id)).all()
    assert [(m.data["old"], m.data["new"], m.data["by"]) for m in moves] == [
        ("new", "queued", None), ("queued", "claimed", "ana"), ("claimed", "closed", "ana")]


def test_a_second_handoff_adds_reasons_to_the_open_escalation(session):
    escalation = new_escalation(session)
    again = queue.enqueue(session, escalation.conversation_id, reasons=["complaint"], team="support",
                          priority=1, sla_minutes=5)
    assert again.id == escalation.id
    assert again.reasons == ["explicit_request", "complaint"] and again.priority == 1


def race(url: str, claimers: int = 5, escalations: int = 100) -> dict[int, list[str]]:
    """Every claimer tries every escalation at the same time; returns the winners per escalation."""
    from candor.db import get_sessionmaker

    make = get_sessionmaker(url)
    with make() as session:
        ids = [new_escalation(session).id for _ in range(escalations)]
        session.commit()
    winners: dict[int, list[str]] = {i: [] for i in ids}
    guard, start = threading.Lock(), threading.Barrier(claimers)

    def work(name: str) -> None:
        start.wait()
        for escalation_id in ids:
            with make() as session:
                try:
                    queue.claim(session, escalation_id, name)
                    session.commit()
                except queue.ClaimConflict:
                    session.rollback()
                    continue
            with guard:
                winners[escalation_id].append(name)

    threads = [threading.Thread(target=work, args=(f"agent{n}",)) for n in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with make() as session:
        owners = dict(session.execute(select(Escalation.id, Escalation.claimed_by)
                                      .where(Escalation.id.in_(ids))).all())
    assert all(len(w) == 1 for w in winners.values()), {k: v for k, v in winners.items() if len(v) != 1}
    assert {i: w[0] for i, w in winners.items()} == owners
    return winners


def test_concurrent_claims_on_sqlite_have_exactly_one_winner(database):
    winners = race(database)
    assert len(winners) == 100


@pytest.mark.postgres
def test_concurrent_claims_on_postgresql_have_exactly_one_winner(postgres_url):
    winners = race(postgres_url)
    assert len(winners) == 100


def test_ids_are_unguessable(session):
    conversation, token = conversations.create(session)
    assert uuid.UUID(conversation.id).version == 4 and len(token) >= 32


def test_wait_estimate_is_the_median_of_recent_claims(tmp_path):
    from datetime import timedelta

    from candor.db import get_sessionmaker, utcnow
    from candor.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'wait.db'}"
    upgrade(url)
    with get_sessionmaker(url)() as session:
        assert queue.estimated_wait_minutes(session, fallback=15) == 15  # no history yet
        now = utcnow()
        for minutes in (2, 4, 30):
            escalation = new_escalation(session)
            escalation.created_at = now - timedelta(minutes=minutes + 1)
            escalation.claimed_at = escalation.created_at + timedelta(minutes=minutes)
        new_escalation(session)  # still waiting: not part of the history
        session.flush()
        assert queue.estimated_wait_minutes(session, fallback=15) == 4

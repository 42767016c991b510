"""Both state machines, move by move: every legal transition works, every other one is refused,
in Python and in the database."""

from itertools import product

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError, StatementError

from routing import queue
from routing.lifecycle import EscalationStatus, check, sources
from routing.models import Escalation
from touchpoints import conversations
from touchpoints.models import Conversation
from touchpoints.status import ConversationStatus, IllegalTransition, move

pytestmark = pytest.mark.unit

C = ConversationStatus
CONVERSATION_LEGAL = {
    (C.BOT, C.QUEUED), (C.BOT, C.CLOSED),
    (C.QUEUED, C.BOT), (C.QUEUED, C.AGENT), (C.QUEUED, C.CLOSED),
    (C.AGENT, C.QUEUED), (C.AGENT, C.BOT), (C.AGENT, C.CLOSED),
}
E = EscalationStatus
ESCALATION_LEGAL = {(E.QUEUED, E.CLAIMED), (E.QUEUED, E.CLOSED), (E.CLAIMED, E.QUEUED), (E.CLAIMED, E.CLOSED)}


class Row:
    def __init__(self, status: str) -> None:
        self.id, self.status = "c1", status


@pytest.mark.parametrize(("old", "new"), list(product(C, C)))
def test_conversation_transition_table(old, new):
    row = Row(old)
    if (old, new) in CONVERSATION_LEGAL:
        assert move(row, new) == old and row.status == new
    else:
        with pytest.raises(IllegalTransition, match=f"is {old}; it cannot become {new}"):
            move(row, new)
        assert row.status == old


@pytest.mark.parametrize(("old", "new"), list(product(E, E)))
def test_escalation_transition_table(old, new):
    if (old, new) in ESCALATION_LEGAL:
        assert check(7, old, new) == old
        assert old in sources(new)
    else:
        with pytest.raises(IllegalTransition, match=f"Escalation 7 is {old}; it cannot become {new}"):
            check(7, old, new)
        assert old not in sources(new)


def test_the_values_are_the_strings_the_api_has_always_sent():
    assert [s.value for s in C] == ["bot", "queued", "agent", "closed"]
    assert [s.value for s in E] == ["queued", "claimed", "closed"]


def test_a_lifecycle_moves_both_entities_together(session):
    conversation, _ = conversations.create(session)
    assert conversation.status == C.BOT
    escalation = queue.enqueue(session, conversation.id, reasons=["explicit_request"], team="general",
                               priority=2, sla_minutes=10)
    assert (conversation.status, escalation.status) == (C.QUEUED, E.QUEUED)
    queue.claim(session, escalation.id, "ana")
    assert (conversation.status, escalation.status, escalation.claimed_by) == (C.AGENT, E.CLAIMED, "ana")
    queue.requeue(session, escalation, "ana")
    assert (conversation.status, escalation.status, escalation.claimed_by) == (C.QUEUED, E.QUEUED, None)
    queue.claim(session, escalation.id, "ben")
    queue.resolve(session, escalation.id, "ben", return_to_bot=False)
    assert (conversation.status, escalation.status) == (C.CLOSED, E.CLOSED)
    with pytest.raises(IllegalTransition):
        queue.requeue(session, escalation, "ben")


def test_loaded_statuses_are_members_not_bare_strings(session):
    conversation, _ = conversations.create(session)
    session.flush()
    session.expire_all()
    assert type(session.get_one(Conversation, conversation.id).status) is C


def _database_refuses(session, table: str, set_bad) -> None:
    with pytest.raises(IntegrityError, match="status"):
        with session.begin_nested():
            session.execute(text(f"UPDATE {table} SET status = 'waiting' WHERE id = :id"), set_bad)


def test_the_database_refuses_other_statuses(session):
    conversation, _ = conversations.create(session)
    escalation = queue.enqueue(session, conversation.id, reasons=["x"], team="general", priority=2, sla_minutes=10)
    session.flush()
    _database_refuses(session, "conversations", {"id": conversation.id})
    _database_refuses(session, "escalations", {"id": escalation.id})
    # Through the ORM the enum refuses before the database sees it.
    with pytest.raises(StatementError):
        session.execute(update(Escalation).where(Escalation.id == escalation.id).values(status="waiting"))


@pytest.mark.postgres
def test_postgresql_refuses_other_statuses(postgres_url):
    from candor.db import get_sessionmaker

    with get_sessionmaker(postgres_url)() as session:
        conversation, _ = conversations.create(session)
        escalation = queue.enqueue(session, conversation.id, reasons=["x"], team="general", priority=2,
                                   sla_minutes=10)
        session.flush()
        _database_refuses(session, "conversations", {"id": conversation.id})
        _database_refuses(session, "escalations", {"id": escalation.id})
        session.rollback()

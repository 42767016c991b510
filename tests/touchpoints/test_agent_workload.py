"""Agent workload from the escalation rows (routing.workload), on SQLite and PostgreSQL: the first
reply is kept on the escalation once, a re-queue forgets it with the claim, and the medians are the
middle value (or the mean of the middle two) of what the agent held in the window."""

import secrets
from datetime import datetime, timedelta

import pytest

from routing import queue, workload
from routing.models import Escalation
from touchpoints import conversations

pytestmark = pytest.mark.unit
T0 = datetime(2032, 5, 3, 10, 0)   # claims no other test makes


def held(session, agent: str, claimed: float, replies: tuple[float, ...] = (), closed: float | None = None
         ) -> Escalation:
    """An escalation claimed by ``agent`` ``claimed`` minutes after T0, replied to and closed then."""
    conversation, _ = conversations.create(session)
    escalation = queue.enqueue(session, conversation.id, reasons=["explicit_request"], team="general", priority=3,
                               sla_minutes=15)
    queue.claim(session, escalation.id, agent)
    escalation.claimed_at = T0 + timedelta(minutes=claimed)
    session.flush()
    for minute in replies:
        message = conversations.append(session, conversation.id, "agent", "hello")
        message.created_at = T0 + timedelta(minutes=minute)
        workload.replied(session, escalation.id, message.created_at)   # as the reply route does
    if closed is not None:
        queue.close(session, escalation.id, agent)
        escalation.closed_at = T0 + timedelta(minutes=closed)
    session.flush()
    session.refresh(escalation)
    return escalation


def mine(session, agent: str, since: datetime | None = T0, until: datetime | None = None) -> dict | None:
    rows = [row for row in workload.agent_workload(session, since, until) if row["agent"] == agent]
    return rows[0] if rows else None


def test_first_reply_is_kept_once_and_medians_per_agent(db):
    ana, ben = (f"{name}-{secrets.token_hex(3)}" for name in ("ana", "ben"))
    first = held(db, ana, 0, replies=(3, 5), closed=10)
    held(db, ana, 12)                                     # claimed, no reply yet, open
    late = held(db, ana, 20, closed=21.5)
    workload.replied(db, late.id, T0 + timedelta(minutes=22))   # after the close: no first reply
    held(db, ben, 30, replies=(30.5,), closed=40)
    assert first.first_reply_at == T0 + timedelta(minutes=3)   # the second reply did not move it
    db.refresh(late)
    assert late.first_reply_at is None
    assert mine(db, ana) == {"agent": ana, "escalations_handled": 3, "closed": 2,
                             "median_first_response_s": 180.0,        # one reply only: 3 min
                             "median_handle_s": 345.0}                # mean of 90 s and 10 min
    assert mine(db, ben) == {"agent": ben, "escalations_handled": 1, "closed": 1,
                             "median_first_response_s": 30.0, "median_handle_s": 600.0}
    # The window is on the claim: from minute 11 on ana has two, before minute 25 ben has none.
    assert mine(db, ana, T0 + timedelta(minutes=11))["escalations_handled"] == 2
    assert mine(db, ben, T0, T0 + timedelta(minutes=25)) is None


def test_an_even_count_takes_the_mean_of_the_middle_two(db):
    ana = f"ana-{secrets.token_hex(3)}"
    for start, reply in ((0, 1), (10, 12), (20, 24), (30, 38)):   # 1, 2, 4, 8 minutes
        held(db, ana, start, replies=(reply,))
    assert mine(db, ana)["median_first_response_s"] == 180.0   # (2 + 4) / 2 minutes
    assert mine(db, ana)["median_handle_s"] is None and mine(db, ana)["closed"] == 0


def test_a_requeued_escalation_forgets_its_claim_and_reply(db):
    ana, ben = (f"{name}-{secrets.token_hex(3)}" for name in ("ana", "ben"))
    escalation = held(db, ana, 0, replies=(2,))
    queue.requeue(db, escalation, ana)
    db.flush()
    assert (escalation.claimed_by, escalation.claimed_at, escalation.first_reply_at) == (None, None, None)
    assert mine(db, ana, None) is None
    queue.claim(db, escalation.id, ben)
    escalation.claimed_at = T0 + timedelta(minutes=10)
    workload.replied(db, escalation.id, T0 + timedelta(minutes=11))
    db.flush()
    db.refresh(escalation)
    assert mine(db, ben)["median_first_response_s"] == 60.0


def test_a_queued_escalation_takes_no_reply_time(db):
    conversation, _ = conversations.create(db)
    escalation = queue.enqueue(db, conversation.id, reasons=["explicit_request"], team="general", priority=3,
                               sla_minutes=15)
    workload.replied(db, escalation.id, T0)   # nobody holds it: nothing to time
    db.flush()
    db.refresh(escalation)
    assert escalation.first_reply_at is None

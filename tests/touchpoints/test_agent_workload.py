import secrets
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from touchpoints import conversations, log
from touchpoints.analytics import agent_workload
from touchpoints.journey import load_journey
from touchpoints.models import AgentClaim
from touchpoints.scorer import rescore

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 2, 10, 0)


def test_handled_first_response_and_handle_time_per_agent(session):
    agent = f"ana-{secrets.token_hex(3)}"
    conversation, _ = conversations.create(session)
    first, second = (secrets.randbelow(10**9) + 10**6 for _ in range(2))   # ids no other test uses

    def step(kind: str, minute: float, **data) -> None:
        log.record(session, conversation.id, kind, **data).created_at = T0 + timedelta(minutes=minute)

    step("escalation_transition", 0, escalation_id=first, old="new", new="queued", by=None)
    conversations.append(session, conversation.id, "agent", "before the claim").created_at = T0
    step("escalation_transition", 2, escalation_id=first, old="queued", new="claimed", by=agent)
    conversations.append(session, conversation.id, "agent", "hello").created_at = T0 + timedelta(minutes=3)
    step("escalation_transition", 10, escalation_id=first, old="claimed", new="closed", by=agent)
    step("escalation_transition", 11, escalation_id=second, old="new", new="queued", by=None)
    step("escalation_transition", 12, escalation_id=second, old="queued", new="claimed", by=agent)
    session.flush()
    touchpoint = rescore(session, conversation.id, load_journey(), T0 + timedelta(minutes=20))
    assert touchpoint.queue_wait_s == 180.0 and touchpoint.escalated   # 2 min + 1 min before the claims
    [mine] = [row for row in agent_workload(session) if row["agent"] == agent]
    # The reply before the first claim does not count; the second claim has no reply yet.
    assert mine == {"agent": agent, "escalations_handled": 2, "closed": 1,
                    "median_first_response_s": 60.0, "median_handle_s": 480.0}
    # The first reply is kept on each claimed escalation's row, which the workload groups in SQL.
    claims = {c.escalation_id: c for c in session.scalars(
        select(AgentClaim).where(AgentClaim.conversation_id == conversation.id))}
    assert claims[first].first_reply_at == T0 + timedelta(minutes=3) and claims[first].handle_s == 480.0
    assert claims[second].first_reply_at is None and claims[second].closed_at is None

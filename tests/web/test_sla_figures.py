"""First- and next-response SLAs per team on a small labelled fixture (priority 3: first reply
within 20 minutes of queueing, next reply within 10 minutes of a customer message)."""

import secrets
from datetime import datetime, timedelta

import pytest

from routing.config import PolicyConfig
from routing.models import Escalation
from touchpoints import conversations
from touchpoints.models import AgentClaim
from web.api.analytics import sla_by_team

pytestmark = pytest.mark.unit
T0 = datetime(2026, 9, 14, 10, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _escalation(session, team: str, queued: float, first_reply: float | None, claimed: float | None = None):
    conversation, _ = conversations.create(session)
    escalation = Escalation(conversation_id=conversation.id, team=team, priority=3, created_at=at(queued))
    session.add(escalation)
    session.flush()
    if claimed is not None:
        session.add(AgentClaim(conversation_id=conversation.id, escalation_id=escalation.id, agent="ana",
                               claimed_at=at(claimed), first_reply_at=at(first_reply) if first_reply else None))
    session.flush()
    return conversation.id


def _say(session, conversation_id: str, sender: str, minute: float) -> None:
    conversations.append(session, conversation_id, sender, f"{sender} at {minute}").created_at = at(minute)


def test_first_and_next_response_met_per_team(session):
    team = f"sla-{secrets.token_hex(3)}"
    held = _escalation(session, team, 0, first_reply=5, claimed=1)     # first reply after 5 min: met
    _escalation(session, team, 0, first_reply=30, claimed=1)           # after 30 min: missed
    _escalation(session, team, 0, first_reply=None, claimed=2)         # none yet, 60 min on: missed
    _escalation(session, team, 55, first_reply=None)                   # none yet, 5 min on: not judged yet
    _say(session, held, "customer", 0.5)     # before the claim: not a next response
    _say(session, held, "agent", 5)
    _say(session, held, "customer", 6)       # answered at 8: met
    _say(session, held, "agent", 8)
    _say(session, held, "customer", 10)      # answered at 25: missed
    _say(session, held, "agent", 25)
    _say(session, held, "customer", 30)      # unanswered, 30 min on: missed
    session.flush()
    [row] = [r for r in sla_by_team(session, PolicyConfig(), at(-60), at(120), now=at(60)) if r["team"] == team]
    assert row == {"team": team, "first_response": {"met": 1, "total": 3},
                   "next_response": {"met": 1, "total": 3}, "met_rate": 0.333}
    # Outside the window: nothing of this team.
    assert team not in {r["team"] for r in sla_by_team(session, PolicyConfig(), at(120), None, now=at(180))}


def test_reply_targets_are_validated():
    with pytest.raises(ValueError, match="next_response_minutes"):
        PolicyConfig(next_response_minutes={1: 5, 2: 5, 3: 0, 4: 5, 5: 5})
    with pytest.raises(ValueError, match="first_response_minutes"):
        PolicyConfig(first_response_minutes={3: 10})


@pytest.mark.postgres
@pytest.mark.integration
def test_the_same_figures_on_postgres(postgres_url):
    from candor.db import session_scope

    with session_scope(postgres_url) as session:
        test_first_and_next_response_met_per_team(session)

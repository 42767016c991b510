"""What the routing policy may know of a customer's journey when it decides a turn: the stage Candor
scored for their latest conversation, and how many of their recent contacts ended unresolved.

Both come from Candor's own scores, not from what the site sent. A journey is the customer's
conversations (or, for a visitor who never signed in, that browser's), as in journey_analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from touchpoints.models import Conversation, Event, Touchpoint
from touchpoints.scoring import ABANDON_AFTER

RECENT = timedelta(days=7)                 # "this week"
UNRESOLVED = ("unresolved", "abandoned")


@dataclass(frozen=True)
class JourneyFacts:
    stage: str | None = None          # stage of the customer's latest scored conversation (this one included)
    unresolved_contacts: int = 0      # their other conversations in the last 7 days that ended unresolved
    escalated_here: bool = False      # this conversation already went to a person (maybe left the queue since)


# Read on every turn (the action server's routing): built once, as building them per call cost
# about as much as running them.
OWNER = select(Conversation.attributes, Conversation.customer_id, Conversation.visitor_id).where(
    Conversation.id == bindparam("conversation_id"))
_ESCALATED = select(Event.id).where(Event.conversation_id == bindparam("conversation_id"),
                                    Event.kind == "escalated").limit(1)


def journey_facts(session: Session, conversation_id: str, now: datetime,
                  owner: tuple[str | None, str | None] | None = None) -> JourneyFacts:
    """The facts for the customer behind ``conversation_id``; empty for an anonymous conversation.
    ``owner`` is the conversation's (customer_id, visitor_id) when the caller has read them (OWNER)."""
    if owner is None:
        row = session.execute(OWNER, {"conversation_id": conversation_id}).first()
        owner = (row.customer_id, row.visitor_id) if row is not None else (None, None)
    customer_id, visitor_id = owner
    escalated = session.scalar(_ESCALATED, {"conversation_id": conversation_id}) is not None
    if customer_id is None and visitor_id is None:
        return JourneyFacts(escalated_here=escalated)
    if customer_id is not None:
        same = Conversation.customer_id == customer_id
    else:
        same = (Conversation.customer_id.is_(None)) & (Conversation.visitor_id == visitor_id)
    scored = select(Touchpoint).join(Conversation, Conversation.id == Touchpoint.conversation_id).where(same)
    stage = session.scalar(scored.with_only_columns(Touchpoint.stage)
                           .order_by(Touchpoint.started_at.desc(), Touchpoint.conversation_id.desc()).limit(1))
    # Only contacts that are over: silent past the abandon time, so a chat still going never counts.
    unresolved = session.scalar(scored.with_only_columns(func.count()).where(
        Conversation.id != conversation_id, Touchpoint.started_at >= now - RECENT,
        Touchpoint.resolution.in_(UNRESOLVED), Touchpoint.last_activity_at <= now - ABANDON_AFTER))
    return JourneyFacts(stage, int(unresolved or 0), escalated)

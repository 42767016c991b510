"""What the escalation routes answer, key for key as the console has always read it, plus the
escalation's timeline: every move it made (queued, claimed, assigned, released, transferred…)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.models import Escalation, EscalationNote
from touchpoints.models import Event
from web.api.follow_ups import FollowUpOut
from web.api.history import CustomerHistory
from web.schemas import UtcDatetime

# The events that make up an escalation's timeline (routing/queue.py, assignment.py, presence.py,
# web/api/handover.py write them).
TIMELINE_KINDS = ("escalation_transition", "assigned", "released", "unclaimed", "transferred")


class EscalationOut(BaseModel):
    id: int
    conversation_id: str
    status: str = Field(description="queued, claimed or closed")
    priority: int = Field(description="1 (most urgent) … 5")
    team: str
    reasons: list[str]
    claimed_by: str | None
    created_at: UtcDatetime
    sla_due_at: UtcDatetime
    sla_breached: bool


class NoteOut(BaseModel):
    id: int
    author: str
    text: str
    created_at: UtcDatetime


class TimelineEntry(BaseModel):
    at: UtcDatetime
    kind: str = Field(description="escalation_transition (old → new), assigned, released (the agent went "
                                  "offline), unclaimed or transferred")
    by: str | None = Field(description="The agent who made the move; None when the system did")
    old: str | None = Field(default=None, description="For a transition: the status it left")
    new: str | None = Field(default=None, description="For a transition: the status it entered")
    agent: str | None = Field(default=None, description="Assigned to / released by / transferred to")
    team: str | None = Field(default=None, description="For a transfer: the team it went to")
    note_id: int | None = Field(default=None, description="For a transfer: the note left for the next agent")


class EscalationDetail(EscalationOut):
    transcript: list[dict[str, Any]] = Field(description="Every message, as GET /api/conversations/{id} shows them")
    considered_articles: list[str]
    evidence: list[dict[str, Any]] = Field(description="What the router weighed, per handoff")
    follow_ups: list[FollowUpOut] = Field(description="E-mail follow-ups the customer left in this conversation, "
                                                      "each with its e-mails' state")
    customer_name: str | None = Field(description="What the customer is called, when known (verified attributes, "
                                                  "a follow-up, the conversation's attributes); fills canned "
                                                  "responses' {customer_name}")
    history: CustomerHistory = Field(description="The customer's earlier conversations and open follow-ups")
    notes: list[NoteOut]
    timeline: list[TimelineEntry]


class Resolved(EscalationOut):
    conversation_status: str = Field(description="bot (handed back) or closed")


def public(escalation: Escalation) -> EscalationOut:
    return EscalationOut(
        id=escalation.id, conversation_id=escalation.conversation_id, status=escalation.status,
        priority=escalation.priority, team=escalation.team, reasons=escalation.reasons,
        claimed_by=escalation.claimed_by, created_at=escalation.created_at, sla_due_at=escalation.sla_due_at,
        sla_breached=escalation.sla_breached_at is not None)


def note(row: EscalationNote) -> NoteOut:
    return NoteOut(id=row.id, author=row.author, text=row.text, created_at=row.created_at)


def _entry(at: datetime, kind: str, data: dict[str, Any]) -> TimelineEntry:
    by = data.get("by") if kind != "assigned" else None
    return TimelineEntry(at=at, kind=kind, by=by, old=data.get("old"), new=data.get("new"),
                         agent=data.get("agent") or data.get("to_agent"), team=data.get("to_team"),
                         note_id=data.get("note_id"))


def timeline(session: Session, escalation: Escalation) -> list[TimelineEntry]:
    events = session.scalars(select(Event).where(
        Event.conversation_id == escalation.conversation_id, Event.kind.in_(TIMELINE_KINDS))
        .order_by(Event.id))
    return [_entry(e.created_at, e.kind, e.data) for e in events if e.data.get("escalation_id") == escalation.id]

"""Keeping touchpoints in step with conversations: score what changed, or everything after a formula change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from knowledge.models import Article
from touchpoints.journey import JourneyConfig, load_journey
from touchpoints.models import Conversation, Event, Message, Touchpoint
from touchpoints.scoring import ABANDON_AFTER, FORMULA_VERSION, EscalationSpan, Record, score


def load_record(session: Session, conversation_id: str) -> tuple[Record, int, int]:
    """The conversation as scoring reads it, with the newest message and event ids seen."""
    conversation = session.get_one(Conversation, conversation_id)
    messages = session.execute(
        select(Message.id, Message.sender, Message.text, Message.payload, Message.created_at)
        .where(Message.conversation_id == conversation_id).order_by(Message.seq)).all()
    events = session.execute(
        select(Event.id, Event.conversation_id, Event.kind, Event.data, Event.created_at)
        .where(Event.conversation_id == conversation_id).order_by(Event.id)).all()
    answered = {e.data.get("article_id") for e in events
                if e.kind in ("answer", "fit_recommendation") and e.data.get("article_id")}
    kinds = dict(session.execute(select(Article.id, Article.kind).where(Article.id.in_(answered))).all())
    record = Record(
        attributes=conversation.attributes or {},
        # A button click is stored as its title; scoring reads the payload, not typed words.
        messages=[(m.sender, (m.payload or {}).get("payload") or m.text, m.created_at) for m in messages],
        events=[(e.kind, e.data or {}, e.created_at) for e in events],
        escalations=escalation_spans(events),
        article_kinds=kinds,
    )
    return record, max((m.id for m in messages), default=0), max((e.id for e in events), default=0)


class EventLike(Protocol):
    """An event as escalation_spans reads it: an ``Event`` or a row selecting these columns."""

    @property
    def conversation_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def data(self) -> dict[str, Any] | None: ...
    @property
    def created_at(self) -> datetime: ...


def escalation_spans(events: Iterable[EventLike]) -> list[EscalationSpan]:
    """Queued → claimed → closed times of each escalation, from the queue's transition events."""
    spans: dict[int | None, EscalationSpan] = {}
    for event in events:
        if event.kind != "escalation_transition":
            continue
        data = event.data or {}
        span = spans.setdefault(data.get("escalation_id"),
                                EscalationSpan(event.created_at, conversation_id=event.conversation_id))
        if data.get("new") == "claimed":
            span.claimed_at, span.claimed_by = event.created_at, data.get("by")
        elif data.get("new") == "closed":
            span.closed_at = event.created_at
    return list(spans.values())


def rescore(session: Session, conversation_id: str, journey: JourneyConfig, now: datetime) -> Touchpoint:
    record, seen_message, seen_event = load_record(session, conversation_id)
    scores = score(record, journey, now)
    touchpoint = session.get(Touchpoint, conversation_id) or Touchpoint(conversation_id=conversation_id)
    for name, value in asdict(scores).items():
        setattr(touchpoint, name, value)
    touchpoint.started_at, touchpoint.last_activity_at = record.span(now)
    touchpoint.seen_message_id, touchpoint.seen_event_id = seen_message, seen_event
    touchpoint.scored_at = now
    session.add(touchpoint)
    session.flush()
    return touchpoint


def pending(session: Session, now: datetime, limit: int = 500) -> list[str]:
    """Conversations whose touchpoint is missing, older than their newest message or event,
    scored by an older formula, or 'unresolved' long enough ago to count as abandoned now."""
    last_message = (select(Message.conversation_id, func.max(Message.id).label("top"))
                    .group_by(Message.conversation_id).subquery())
    last_event = (select(Event.conversation_id, func.max(Event.id).label("top"))
                  .group_by(Event.conversation_id).subquery())
    query = (
        select(Conversation.id)
        .join(last_message, last_message.c.conversation_id == Conversation.id)   # never messaged: nothing to score
        .outerjoin(last_event, last_event.c.conversation_id == Conversation.id)
        .outerjoin(Touchpoint, Touchpoint.conversation_id == Conversation.id)
        .where(or_(
            Touchpoint.conversation_id.is_(None),
            last_message.c.top > Touchpoint.seen_message_id,
            func.coalesce(last_event.c.top, 0) > Touchpoint.seen_event_id,
            Touchpoint.formula_version != FORMULA_VERSION,
            and_(Touchpoint.resolution == "unresolved", Touchpoint.last_activity_at < now - ABANDON_AFTER),
        ))
        .limit(limit)
    )
    return list(session.scalars(query))


def score_pending(session: Session, now: datetime, journey: JourneyConfig | None = None) -> int:
    journey = journey or load_journey()
    ids = pending(session, now)
    for conversation_id in ids:
        rescore(session, conversation_id, journey, now)
    return len(ids)


def rescore_all(session: Session, now: datetime, journey: JourneyConfig | None = None) -> int:
    """Every conversation with messages, e.g. after a formula or journey.yml change."""
    journey = journey or load_journey()
    ids = list(session.scalars(select(Message.conversation_id).distinct()))
    for conversation_id in ids:
        rescore(session, conversation_id, journey, now)
    return len(ids)

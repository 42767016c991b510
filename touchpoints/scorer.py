"""Keeping touchpoints in step with conversations: score what changed, or everything after a formula change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, exists, false, select, update
from sqlalchemy.orm import Session

from knowledge.models import Article
from touchpoints import rollups
from touchpoints.journey import JourneyConfig, load_journey
from touchpoints.models import (
    AgentClaim,
    ArticleUse,
    Conversation,
    Event,
    Message,
    Touchpoint,
    TouchpointDirty,
    TouchpointReason,
)
from touchpoints.scoring import ABANDON_AFTER, ANSWERS, FORMULA_VERSION, EscalationSpan, Record, score
from touchpoints.status import EscalationStatus
from touchpoints.webhook_events import ScoreWatch


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
        key = data.get("escalation_id")
        span = spans.setdefault(key, EscalationSpan(event.created_at, conversation_id=event.conversation_id,
                                                    escalation_id=key if isinstance(key, int) else None))
        if data.get("new") == EscalationStatus.CLAIMED:
            span.claimed_at, span.claimed_by = event.created_at, data.get("by")
        elif data.get("new") == EscalationStatus.CLOSED:
            span.closed_at = event.created_at
    return list(spans.values())


def _article_uses(conversation_id: str, events: Iterable[Any]) -> list[ArticleUse]:
    """What this conversation did for each article, event by event (as touchpoints.article_stats counts)."""
    uses, last_answer = [], None
    for event in events:
        data = event.data or {}
        article_id = data.get("article_id")
        if event.kind in ANSWERS and article_id:   # a recommendation rests on its article
            uses.append(ArticleUse(article_id=article_id, at=event.created_at, used=1))
            last_answer = article_id
        elif event.kind == "feedback" and article_id:
            helpful = bool(data.get("helpful"))
            uses.append(ArticleUse(article_id=article_id, at=event.created_at, helpful=int(helpful),
                                   unhelpful=int(not helpful)))
        elif event.kind == "escalated" and last_answer:
            uses.append(ArticleUse(article_id=last_answer, at=event.created_at, escalations_after=1))
    for use in uses:
        use.conversation_id = conversation_id
        for name in ("used", "helpful", "unhelpful", "escalations_after"):
            setattr(use, name, getattr(use, name) or 0)
    return uses


def _claims(conversation_id: str, spans: list[EscalationSpan],
            agent_replies: list[datetime]) -> list[AgentClaim]:
    """Claimed escalations with the first agent reply after the claim (replies in transcript order)."""
    claims = []
    for span in spans:
        if not (span.claimed_by and span.claimed_at):
            continue
        first = next((at for at in agent_replies if at >= span.claimed_at), None)
        claims.append(AgentClaim(
            conversation_id=conversation_id, escalation_id=span.escalation_id, agent=span.claimed_by,
            claimed_at=span.claimed_at,
            first_reply_at=first, closed_at=span.closed_at,
            first_response_s=(first - span.claimed_at).total_seconds() if first else None,
            handle_s=(span.closed_at - span.claimed_at).total_seconds() if span.closed_at else None))
    return claims


def _rescore(session: Session, conversation_id: str, journey: JourneyConfig,
             now: datetime) -> tuple[Touchpoint, set[date]]:
    """Score one conversation and replace its typed facts; returns the days whose rollups changed."""
    record, seen_message, seen_event = load_record(session, conversation_id)
    scores = score(record, journey, now)
    old = session.get(Touchpoint, conversation_id)
    watch = ScoreWatch(session, conversation_id, old)   # webhooks: the outcome before this rescore
    touchpoint = old or Touchpoint(conversation_id=conversation_id)
    days = {old.started_at.date()} if old else set()
    days |= {at.date() for at in session.scalars(
        select(ArticleUse.at).where(ArticleUse.conversation_id == conversation_id))}
    for name, value in asdict(scores).items():
        setattr(touchpoint, name, value)
    touchpoint.started_at, touchpoint.last_activity_at = record.span(now)
    touchpoint.seen_message_id, touchpoint.seen_event_id = seen_message, seen_event
    touchpoint.scored_at = now
    session.add(touchpoint)
    session.flush()
    for table in (TouchpointReason, ArticleUse, AgentClaim):
        session.execute(delete(table).where(table.conversation_id == conversation_id))
    session.add_all(TouchpointReason(conversation_id=conversation_id, reason=r) for r in set(scores.escalation_reasons))
    uses = _article_uses(conversation_id, session.execute(
        select(Event.kind, Event.data, Event.created_at).where(Event.conversation_id == conversation_id)
        .order_by(Event.id)))
    session.add_all(uses)
    replies = [at for sender, _, at in record.messages if sender == "agent"]
    session.add_all(_claims(conversation_id, record.escalations, replies))
    session.flush()
    watch.after(touchpoint, (u.article_id for u in uses if u.used))
    return touchpoint, days | {touchpoint.started_at.date()} | {u.at.date() for u in uses}


def rescore(session: Session, conversation_id: str, journey: JourneyConfig, now: datetime) -> Touchpoint:
    """Score one conversation now, rollups included (the scorer batches this; tests call it)."""
    touchpoint, days = _rescore(session, conversation_id, journey, now)
    rollups.recount(session, days)
    return touchpoint


def _take_write_lock(session: Session) -> None:
    """SQLite: start the write transaction before reading, so nothing read can be outdated by another
    writer before we write (PostgreSQL locks rows instead)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(TouchpointDirty).where(false()).values(generation=TouchpointDirty.generation))


def pending(session: Session, now: datetime, limit: int = 500, settle: timedelta = timedelta(0),
            only: str | None = None) -> list[str]:
    """Conversations marked dirty by a new message or event (at least ``settle`` ago), scored by an
    older formula, or 'unresolved' long enough ago to count as abandoned now; of these, only the
    conversation ``only`` when given. Each is a query on an index or on the small dirty table,
    never a walk over every message."""
    dirty = (select(TouchpointDirty.conversation_id)
             .join(Conversation, Conversation.id == TouchpointDirty.conversation_id)
             .where(TouchpointDirty.marked_at <= now - settle))
    stale = select(Touchpoint.conversation_id).where(Touchpoint.formula_version < FORMULA_VERSION)
    abandoned = (select(Touchpoint.conversation_id)
                 .where(Touchpoint.resolution == "unresolved", Touchpoint.last_activity_at < now - ABANDON_AFTER))
    ids: list[str] = []
    for query, column in ((dirty, TouchpointDirty.conversation_id), (stale, Touchpoint.conversation_id),
                          (abandoned, Touchpoint.conversation_id)):
        if only is not None:
            query = query.where(column == only)
        ids.extend(i for i in session.scalars(query.order_by(column).limit(limit)) if i not in ids)
    return sorted(ids)[:limit]


def score_pending(session: Session, now: datetime, journey: JourneyConfig | None = None, limit: int = 500,
                  settle: timedelta = timedelta(0), only: str | None = None) -> int:
    """Score what changed. Each conversation is locked first (PostgreSQL: ``FOR UPDATE SKIP LOCKED``,
    one another scorer or a writer holds is left for the next round), so two scorers never score
    one conversation at once; its dirty mark goes only if no new write marked it again meanwhile.
    A mark younger than ``settle`` waits: a conversation in full flow is scored once per ``settle``
    rather than after every turn (the mark keeps the time of its first write). ``only``: that one
    conversation, if it is pending."""
    journey = journey or load_journey()
    _take_write_lock(session)
    # Marks of conversations that no longer exist (erased, or events of unknown ids): nothing to score.
    session.execute(delete(TouchpointDirty).where(~exists().where(Conversation.id == TouchpointDirty.conversation_id)))
    days = rollups.forgotten_days(session)
    scored = 0
    for conversation_id in pending(session, now, limit, settle, only):
        if session.scalar(select(Conversation.id).where(Conversation.id == conversation_id)
                          .with_for_update(skip_locked=True)) is None:
            continue
        if session.scalar(select(Message.id).where(Message.conversation_id == conversation_id).limit(1)) is None:
            session.execute(delete(TouchpointDirty).where(TouchpointDirty.conversation_id == conversation_id))
            continue   # never messaged: nothing to score
        generation = session.scalar(select(TouchpointDirty.generation)
                                    .where(TouchpointDirty.conversation_id == conversation_id))
        _, changed = _rescore(session, conversation_id, journey, now)
        days |= changed
        if generation is not None:
            session.execute(delete(TouchpointDirty).where(TouchpointDirty.conversation_id == conversation_id,
                                                          TouchpointDirty.generation == generation))
        scored += 1
    rollups.recount(session, days)
    return scored


def rescore_all(session: Session, now: datetime, journey: JourneyConfig | None = None) -> int:
    """Every conversation with messages, e.g. after a formula or journey.yml change."""
    journey = journey or load_journey()
    _take_write_lock(session)
    days: set[date] = set()
    count = 0
    for conversation_id in session.scalars(select(Message.conversation_id).distinct()).all():
        days |= _rescore(session, conversation_id, journey, now)[1]
        count += 1
    rollups.recount(session, days)
    return count

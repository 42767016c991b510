"""The escalation queue: create, claim (atomically), close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from candor.db import rowcount, utc_text, utcnow
from routing.lifecycle import EscalationStatus, check, sources
from routing.models import Escalation
from touchpoints import live, log, webhooks
from touchpoints.models import Conversation
from touchpoints.status import ConversationStatus, IllegalTransition
from touchpoints.status import move as move_conversation

__all__ = ["ClaimConflict", "IllegalTransition"]

# Transfers and other edits reach the agents' queues and the customer's status line live.
live.watch(Escalation, lambda escalation: (escalation.conversation_id, live.QUEUE))


class ClaimConflict(RuntimeError):
    """Somebody else claimed it first, or it is not waiting any more."""


def _record(session: Session, escalation: Escalation, old: str, new: str, by: str | None) -> None:
    live.touched(session, escalation.conversation_id, live.QUEUE)  # claim() is a Core UPDATE
    log.record(session, escalation.conversation_id, "escalation_transition",
               escalation_id=escalation.id, old=str(old), new=str(new), by=by)


def _get(session: Session, escalation_id: int) -> Escalation:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise LookupError(f"No escalation {escalation_id}.")
    return escalation


def move(session: Session, escalation: Escalation, new: EscalationStatus, by: str | None) -> EscalationStatus:
    """The one place an escalation loaded in the session changes status (checked, recorded)."""
    old = check(escalation.id, escalation.status, new)
    escalation.status = new
    if new == EscalationStatus.CLOSED:
        escalation.closed_at = utcnow()
    elif new == EscalationStatus.QUEUED:
        escalation.claimed_by, escalation.claimed_at, escalation.first_reply_at = None, None, None
    _record(session, escalation, old, new, by)
    return old


def close(session: Session, escalation_id: int, by: str | None) -> Escalation:
    escalation = _get(session, escalation_id)
    move(session, escalation, EscalationStatus.CLOSED, by)
    return escalation


def resolve(session: Session, escalation_id: int, by: str, return_to_bot: bool) -> Conversation:
    """The agent is done: the escalation closes, the conversation goes back to the bot or ends."""
    escalation = close(session, escalation_id, by)
    conversation = session.get_one(Conversation, escalation.conversation_id)
    move_conversation(conversation, ConversationStatus.BOT if return_to_bot else ConversationStatus.CLOSED)
    if not return_to_bot:
        webhooks.emit(session, "conversation.closed",
                      {"conversation_id": conversation.id, "customer_id": conversation.customer_id,
                       "escalation_id": escalation.id, "team": escalation.team, "closed_by": by},
                      conversation_id=conversation.id, customer_id=conversation.customer_id)
    return conversation


def requeue(session: Session, escalation: Escalation, by: str | None) -> None:
    """A claimed escalation goes back to the queue (unclaim, transfer, agent offline); the
    customer's conversation waits for a person again."""
    move(session, escalation, EscalationStatus.QUEUED, by)
    conversation = session.get_one(Conversation, escalation.conversation_id)
    if conversation.status == ConversationStatus.AGENT:
        move_conversation(conversation, ConversationStatus.QUEUED)


def withdraw(session: Session, escalation_id: int) -> Escalation:
    """The customer chose to keep chatting with the bot while waiting: the escalation leaves the
    queue (closed by the customer), and the withdrawal is kept for the agents and the dashboard."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None or escalation.status != EscalationStatus.QUEUED:
        raise IllegalTransition(f"Escalation {escalation_id} is not waiting in the queue.")
    move(session, escalation, EscalationStatus.CLOSED, "customer")
    move_conversation(session.get_one(Conversation, escalation.conversation_id), ConversationStatus.BOT)
    log.record(session, escalation.conversation_id, "escalation_withdrawn", escalation_id=escalation.id,
               reasons=escalation.reasons, team=escalation.team)
    return escalation


def is_waiting(escalation: Escalation) -> bool:
    return escalation.status == EscalationStatus.QUEUED


def is_held_by(escalation: Escalation, agent: str) -> bool:
    return escalation.status == EscalationStatus.CLAIMED and escalation.claimed_by == agent


def is_claimed(escalation: Escalation) -> bool:
    return escalation.status == EscalationStatus.CLAIMED


def estimated_wait_minutes(session: Session, fallback: int, recent: int = 50) -> int:
    """Median minutes from queued to claimed over the last ``recent`` claims (fallback: the SLA)."""
    rows = session.execute(
        select(Escalation.created_at, Escalation.claimed_at)
        .where(Escalation.claimed_at.is_not(None))
        .order_by(Escalation.claimed_at.desc())
        .limit(recent)
    ).all()
    if not rows:
        return fallback
    waits = sorted((claimed - created).total_seconds() / 60 for created, claimed in rows
                   if claimed is not None)  # all are: the query keeps claimed ones
    return max(1, round(waits[len(waits) // 2]))


def listing(session: Session, status: EscalationStatus | None, teams: list[str] | None) -> list[Escalation]:
    """Most urgent first: priority, then the SLA due soonest."""
    query = select(Escalation).order_by(Escalation.priority, Escalation.sla_due_at, Escalation.id)
    if status:
        query = query.where(Escalation.status == status)
    if teams is not None:
        query = query.where(Escalation.team.in_(teams))
    return list(session.scalars(query))


def open_escalation(session: Session, conversation_id: str) -> Escalation | None:
    return session.scalar(
        select(Escalation).where(
            Escalation.conversation_id == conversation_id, Escalation.status != EscalationStatus.CLOSED
        )
    )


def enqueue(
    session: Session,
    conversation_id: str,
    *,
    reasons: list[str],
    team: str,
    priority: int,
    sla_minutes: float,
    sla_start: datetime | None = None,
) -> Escalation:
    """Queue the conversation, or add reasons to the escalation it already has. A conversation
    with the bot now waits for a person; one a person holds stays theirs.

    ``sla_start`` is when the SLA clock starts (the next opening, outside business hours).
    """
    existing = open_escalation(session, conversation_id)
    if existing is not None:
        existing.reasons = list(dict.fromkeys([*existing.reasons, *reasons]))
        existing.priority = min(existing.priority, priority)
        return existing
    now = utcnow()
    escalation = Escalation(
        conversation_id=conversation_id,
        reasons=reasons,
        team=team,
        priority=priority,
        created_at=now,
        sla_due_at=(sla_start or now) + timedelta(minutes=sla_minutes),
    )
    session.add(escalation)
    session.flush()
    _record(session, escalation, "new", EscalationStatus.QUEUED, None)
    conversation = session.get_one(Conversation, conversation_id)
    if conversation.status == ConversationStatus.BOT:
        move_conversation(conversation, ConversationStatus.QUEUED)
    webhooks.emit(session, "escalation.created",
                  {"escalation_id": escalation.id, "conversation_id": conversation_id,
                   "customer_id": conversation.customer_id, "team": team, "priority": priority,
                   "reasons": list(reasons), "sla_due_at": utc_text(escalation.sla_due_at)},
                  conversation_id=conversation_id, customer_id=conversation.customer_id, at=now)
    return escalation


def claim(session: Session, escalation_id: int, agent: str) -> Escalation:
    """A conditional UPDATE, so of several concurrent claimers exactly one changes the row."""
    changed = rowcount(session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status.in_(sources(EscalationStatus.CLAIMED)))
        .values(status=EscalationStatus.CLAIMED, claimed_by=agent, claimed_at=utcnow())
    ))
    if changed != 1:
        raise ClaimConflict(f"Escalation {escalation_id} is already claimed or closed.")
    return claimed(session, escalation_id, agent)


def claimed(session: Session, escalation_id: int, agent: str) -> Escalation:
    """After a conditional UPDATE made ``agent`` its owner: recorded, and the conversation is theirs."""
    escalation = session.get_one(Escalation, escalation_id, populate_existing=True)
    _record(session, escalation, EscalationStatus.QUEUED, EscalationStatus.CLAIMED, agent)
    conversation = session.get_one(Conversation, escalation.conversation_id)
    if conversation.status != ConversationStatus.AGENT:
        move_conversation(conversation, ConversationStatus.AGENT)
    return escalation


def position(session: Session, escalation: Escalation) -> int:
    """1 for next in line: queued escalations of the same team that listing() puts before it, plus one."""
    ahead = session.scalar(
        select(func.count()).select_from(Escalation).where(
            Escalation.status == EscalationStatus.QUEUED,
            Escalation.team == escalation.team,
            tuple_(Escalation.priority, Escalation.sla_due_at, Escalation.id)
            < tuple_(escalation.priority, escalation.sla_due_at, escalation.id),
        )
    )
    return int(ahead or 0) + 1

"""The escalation queue: create, claim (atomically), close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from candor.db import rowcount, utcnow
from routing.models import Escalation
from touchpoints import live, log

# Transfers and other edits reach the agents' queues and the customer's status line live.
live.watch(Escalation, lambda escalation: (escalation.conversation_id, live.QUEUE))


class ClaimConflict(RuntimeError):
    """Somebody else claimed it first, or it is not waiting any more."""


class IllegalTransition(ValueError):
    """A move the state machine queued → claimed → closed does not allow."""


# From each state, the states it may move to.
TRANSITIONS = {"queued": {"claimed", "closed"}, "claimed": {"closed"}, "closed": set()}


def _record(session: Session, escalation: Escalation, old: str, new: str, by: str | None) -> None:
    live.touched(session, escalation.conversation_id, live.QUEUE)  # claim() is a Core UPDATE
    log.record(session, escalation.conversation_id, "escalation_transition",
               escalation_id=escalation.id, old=old, new=new, by=by)


def close(session: Session, escalation_id: int, by: str | None) -> Escalation:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise LookupError(f"No escalation {escalation_id}.")
    if "closed" not in TRANSITIONS[escalation.status]:
        raise IllegalTransition(f"Escalation {escalation_id} is {escalation.status}; it cannot be closed.")
    old = escalation.status
    escalation.status, escalation.closed_at = "closed", utcnow()
    _record(session, escalation, old, "closed", by)
    return escalation


def withdraw(session: Session, escalation_id: int) -> Escalation:
    """The customer chose to keep chatting with the bot while waiting: the escalation leaves the
    queue (closed by the customer), and the withdrawal is kept for the agents and the dashboard."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None or escalation.status != "queued":
        raise IllegalTransition(f"Escalation {escalation_id} is not waiting in the queue.")
    escalation.status, escalation.closed_at = "closed", utcnow()
    _record(session, escalation, "queued", "closed", "customer")
    log.record(session, escalation.conversation_id, "escalation_withdrawn", escalation_id=escalation.id,
               reasons=escalation.reasons, team=escalation.team)
    return escalation


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


def listing(session: Session, status: str | None, teams: list[str] | None) -> list[Escalation]:
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
            Escalation.conversation_id == conversation_id, Escalation.status != "closed"
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
    """Queue the conversation, or add reasons to the escalation it already has.

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
    _record(session, escalation, "new", "queued", None)
    return escalation


def claim(session: Session, escalation_id: int, agent: str) -> Escalation:
    """A conditional UPDATE, so of several concurrent claimers exactly one changes the row."""
    changed = rowcount(session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == "queued")
        .values(status="claimed", claimed_by=agent, claimed_at=utcnow())
    ))
    escalation = session.get(Escalation, escalation_id, populate_existing=True) if changed == 1 else None
    if escalation is None:
        raise ClaimConflict(f"Escalation {escalation_id} is already claimed or closed.")
    _record(session, escalation, "queued", "claimed", agent)
    return escalation


def position(session: Session, escalation: Escalation) -> int:
    """1 for next in line: queued escalations of the same team that listing() puts before it, plus one."""
    ahead = session.scalar(
        select(func.count()).select_from(Escalation).where(
            Escalation.status == "queued",
            Escalation.team == escalation.team,
            tuple_(Escalation.priority, Escalation.sla_due_at, Escalation.id)
            < tuple_(escalation.priority, escalation.sla_due_at, escalation.id),
        )
    )
    return int(ahead or 0) + 1

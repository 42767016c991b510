"""Service levels: tell customers nobody could take them in time, and take e-mail follow-ups."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from candor.db import rowcount
from routing import queue
from routing.hours import BusinessHours
from routing.lifecycle import EscalationStatus
from routing.models import Escalation, FollowUp
from touchpoints import conversations, log
from touchpoints.models import Message


def masked_email(email: str) -> str:
    """Enough for the customer to recognise their address; the transcript keeps no full copy."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


BREACH_NOTICE = (
    "I'm sorry: everyone on our team is still busy, so nobody has picked this up yet. You keep your "
    "place in the queue. If you'd rather not wait, type your e-mail address and we'll reply by e-mail."
)
# Deliberately loose: a person reads every follow-up, and a typo is better caught by them than
# a customer turned away by a strict pattern.
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def find_email(text: str) -> str | None:
    match = EMAIL.search(text)
    return match.group(0) if match else None


def sla_clock_start(hours: BusinessHours, now: datetime) -> datetime:
    """An SLA runs in business hours: outside them it starts when the team is next in (naive UTC)."""
    if hours.is_open(now):
        return now
    opens = hours.next_opening(now)
    return opens.astimezone(UTC).replace(tzinfo=None) if opens else now


def notify_breaches(session: Session, now: datetime) -> list[Escalation]:
    """Tell each customer whose escalation is still unclaimed past its due time; once each.

    The conditional UPDATE makes this safe with several web workers running it at once.
    """
    due = session.scalars(
        select(Escalation).where(
            Escalation.status == EscalationStatus.QUEUED, Escalation.sla_due_at <= now,
            Escalation.sla_breached_at.is_(None)
        )
    ).all()
    told = []
    for escalation in due:
        changed = rowcount(session.execute(
            update(Escalation)
            .where(Escalation.id == escalation.id, Escalation.sla_breached_at.is_(None),
                   Escalation.status == EscalationStatus.QUEUED)
            .values(sla_breached_at=now)
        ))
        if changed != 1:
            continue
        conversations.append(session, escalation.conversation_id, "bot", BREACH_NOTICE,
                             {"notice": "sla_breached", "follow_up": "offered"})
        overdue = (now - escalation.sla_due_at).total_seconds() / 60
        log.record(session, escalation.conversation_id, "sla_breached", escalation_id=escalation.id,
                   team=escalation.team, overdue_minutes=round(overdue, 1))
        told.append(escalation)
    return told


def leave_follow_up(session: Session, conversation_id: str, email: str, note: str = "") -> tuple[FollowUp, Message]:
    """Store the e-mail follow-up (one open per conversation; a new address replaces the old),
    and the acknowledgement the customer reads."""
    follow_up = session.scalar(
        select(FollowUp).where(FollowUp.conversation_id == conversation_id, FollowUp.status == "open")
    )
    escalation = queue.open_escalation(session, conversation_id)
    if follow_up is None:
        follow_up = FollowUp(conversation_id=conversation_id,
                             escalation_id=escalation.id if escalation else None,
                             team=escalation.team if escalation else "general")
        session.add(follow_up)
    follow_up.email, follow_up.note = email, note or follow_up.note or ""
    session.flush()
    ack = conversations.append(
        session, conversation_id, "bot",
        f"Thanks. We'll reply by e-mail to {masked_email(email)}. If someone frees up sooner, they'll answer here.",
        {"notice": "follow_up", "follow_up_id": follow_up.id},
    )
    log.record(session, conversation_id, "follow_up", follow_up_id=follow_up.id, team=follow_up.team)
    return follow_up, ack


def open_follow_ups(session: Session, teams: list[str] | None) -> list[FollowUp]:
    query = select(FollowUp).where(FollowUp.status == "open").order_by(FollowUp.created_at, FollowUp.id)
    if teams is not None:
        query = query.where(FollowUp.team.in_(teams))
    return list(session.scalars(query))

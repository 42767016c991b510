"""Agents' presence: online, away or offline as they set it, away when their console went quiet,
and what each change does to the conversations they hold."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from routing import queue
from routing.assignment import available
from routing.lifecycle import EscalationStatus, Presence
from routing.models import Escalation
from routing.staff import User
from touchpoints import log

# The console calls every few seconds; writing each call would make every poll a write
# transaction. Presence needs far less precision than this (away_after_seconds is at least 60).
SEEN_RESOLUTION = timedelta(seconds=10)


def effective(user: User, now: datetime, away_after: timedelta) -> Presence:
    """What the queue sees: an online agent whose console has gone quiet counts as away."""
    if user.presence == Presence.ONLINE and not available(user, now, away_after):
        return Presence.AWAY
    return Presence(user.presence)


def seen(session: Session, user: User, now: datetime, away_after: timedelta) -> bool:
    """The agent's console called. True when that makes an agent who had gone quiet available
    again (their teams' queues may now be assigned to them)."""
    if user.last_seen_at is not None and timedelta(0) <= now - user.last_seen_at < SEEN_RESOLUTION:
        return False
    came_back = user.presence == Presence.ONLINE and not available(user, now, away_after)
    session.execute(update(User).where(User.id == user.id).values(last_seen_at=now)
                    .execution_options(synchronize_session=False))
    user.last_seen_at = now
    return came_back


def set_presence(session: Session, user: User, presence: Presence, now: datetime) -> list[Escalation]:
    """Set what the agent chose. Going offline hands their conversations back to the queue
    (returned, so their teams can be assigned again); away keeps them."""
    user.presence, user.last_seen_at = presence, now
    released = []
    if presence == Presence.OFFLINE:
        held = session.scalars(select(Escalation).where(
            Escalation.claimed_by == user.username, Escalation.status == EscalationStatus.CLAIMED)
            .order_by(Escalation.id)).all()
        for escalation in held:
            queue.requeue(session, escalation, user.username)
            log.record(session, escalation.conversation_id, "released", escalation_id=escalation.id,
                       agent=user.username, reason="offline")
            released.append(escalation)
    return released

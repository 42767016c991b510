"""Helpers shared by the routing tests: a team of online agents and escalations waiting for it."""

import secrets

from sqlalchemy import select

from candor.db import utcnow
from routing import presence, queue
from routing.lifecycle import Presence
from routing.models import Escalation
from routing.staff import User, add_user
from touchpoints import conversations


def team_of(session, agents: int, capacity: int = 3, online: bool = True) -> tuple[str, list[User]]:
    """A team of its own (a random name, so tests sharing a database never see each other's agents)."""
    team = f"team-{secrets.token_hex(4)}"
    users = [add_user(session, f"{team}-agent{n}", "password1", "agent", [team], capacity) for n in range(agents)]
    for user in users:
        if online:
            presence.set_presence(session, user, Presence.ONLINE, utcnow())
    return team, users


def waiting(session, team: str, count: int) -> list[int]:
    """The ids of `count` new escalations queued for `team`."""
    ids = []
    for _ in range(count):
        conversation, _ = conversations.create(session)
        ids.append(queue.enqueue(session, conversation.id, reasons=["explicit_request"], team=team, priority=2,
                                 sla_minutes=10).id)
    return ids


def owners(session, ids: list[int]) -> dict[int, str | None]:
    """Who holds each escalation now (None: nobody), as committed by any session."""
    session.expire_all()
    return dict(session.execute(select(Escalation.id, Escalation.claimed_by).where(Escalation.id.in_(ids))).all())

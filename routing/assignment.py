"""Auto-assignment: a team's waiting escalations go to its online agents with room.

Two guards make it safe with several web workers assigning at once. The agents' rows are locked
(``SELECT … FOR UPDATE``, always in id order, so two assigners never deadlock) before their load
is counted, so on PostgreSQL a second assigner counts only after the first one committed. And the
UPDATE that assigns is conditional on the escalation still waiting unowned *and* on the agent's
load, counted inside the statement, being under their capacity: on SQLite, where FOR UPDATE does
not exist, the write lock held by that statement makes it atomic. A manual claim (``claim``) takes
the same two guards, so claims, assignments and an agent's second browser tab never put one
agent over their capacity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.orm import Session, aliased

from candor.db import rowcount
from routing import queue
from routing.config import Assignment, AssignmentMode
from routing.lifecycle import EscalationStatus, Presence, sources
from routing.models import Escalation
from routing.staff import User
from touchpoints import log


class AtCapacity(RuntimeError):
    """The agent already holds as many conversations as their capacity allows."""


@dataclass
class Candidate:
    user: User
    load: int
    last_assigned: datetime | None
    turns: int = 0  # assignments in this pass: they share one timestamp


def loads(session: Session, usernames: Iterable[str]) -> dict[str, int]:
    """Conversations each agent holds now."""
    names = list(usernames)
    rows = session.execute(
        select(Escalation.claimed_by, func.count()).where(
            Escalation.status == EscalationStatus.CLAIMED, Escalation.claimed_by.in_(names))
        .group_by(Escalation.claimed_by)).all()
    counts = {name: 0 for name in names}
    counts.update({str(name): int(n) for name, n in rows})
    return counts


def available(user: User, now: datetime, away_after: timedelta) -> bool:
    """Online, and their console called within ``away_after`` (else they count as away)."""
    return (user.presence == Presence.ONLINE and user.last_seen_at is not None
            and user.last_seen_at >= now - away_after)


def _works_for(user: User, team: str) -> bool:
    # An agent listed under no team works every team's queue (as the console shows them).
    return user.role == "agent" and (not user.teams or team in user.teams)


def candidates(session: Session, team: str, now: datetime, away_after: timedelta) -> list[Candidate]:
    """The team's available agents, their rows locked until the transaction ends."""
    users = [u for u in session.scalars(select(User).order_by(User.id).with_for_update(),
                                         execution_options={"populate_existing": True})
             if _works_for(u, team) and available(u, now, away_after)]
    held = loads(session, (u.username for u in users))
    last = dict(session.execute(
        select(Escalation.claimed_by, func.max(Escalation.claimed_at))
        .where(Escalation.claimed_by.in_([u.username for u in users])).group_by(Escalation.claimed_by)).all())
    return [Candidate(u, held[u.username], last.get(u.username)) for u in users]


def _turn(c: Candidate) -> tuple[bool, datetime, int, int]:
    """Round robin: never assigned first, then the oldest last assignment."""
    return c.last_assigned is not None, c.last_assigned or datetime.min, c.turns, c.user.id


def _order(found: list[Candidate], mode: AssignmentMode) -> list[Candidate]:
    if mode == "least_loaded":
        return sorted(found, key=lambda c: (c.load, *_turn(c)))
    return sorted(found, key=_turn)


def _held(username: str) -> ScalarSelect[int]:
    """The agent's load, counted inside the statement that uses it."""
    other = aliased(Escalation)
    return (select(func.count()).select_from(other)
            .where(other.claimed_by == username, other.status == EscalationStatus.CLAIMED)
            .scalar_subquery())


def claim(session: Session, escalation_id: int, user: User, now: datetime) -> Escalation:
    """An agent claims by hand, within their capacity. Their row is locked first (as ``candidates``
    locks it), so two claims from two tabs, or a claim and an assignment, count one after the other;
    the UPDATE counts the load itself. Admins hold no seat (auto-assignment never counts them), so
    their claims are not limited. Raises queue.ClaimConflict when it is taken or closed, AtCapacity
    when the agent is full."""
    if user.role != "agent":
        return queue.claim(session, escalation_id, user.username)
    capacity = session.scalar(select(User.capacity).where(User.id == user.id).with_for_update())
    if capacity is None:
        raise queue.ClaimConflict(f"{user.username} is no longer a staff account.")
    changed = rowcount(session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status.in_(sources(EscalationStatus.CLAIMED)),
               _held(user.username) < capacity)
        .values(status=EscalationStatus.CLAIMED, claimed_by=user.username, claimed_at=now)
        .execution_options(synchronize_session=False)))
    if changed == 1:
        return queue.claimed(session, escalation_id, user.username)
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None or escalation.status not in sources(EscalationStatus.CLAIMED):
        raise queue.ClaimConflict(f"Escalation {escalation_id} is already claimed or closed.")
    held = loads(session, [user.username])[user.username]
    raise AtCapacity(f"You already have {held} conversation{'' if held == 1 else 's'} open, your limit is "
                     f"{capacity}: resolve one or hand one back to the queue before claiming another.")


def assign(session: Session, escalation_id: int, user: User, now: datetime) -> bool:
    """Give the waiting, unowned escalation to ``user`` if they have room; False if not."""
    held = _held(user.username)
    changed = rowcount(session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status.in_(sources(EscalationStatus.CLAIMED)),
               Escalation.claimed_by.is_(None), held < user.capacity)
        .values(status=EscalationStatus.CLAIMED, claimed_by=user.username, claimed_at=now)
        .execution_options(synchronize_session=False)))
    if changed != 1:
        return False
    escalation = queue.claimed(session, escalation_id, user.username)
    log.record(session, escalation.conversation_id, "assigned", escalation_id=escalation_id, agent=user.username)
    return True


def fill(session: Session, policy: Assignment, team: str, now: datetime, skip: str | None = None) -> list[int]:
    """Assign the team's waiting escalations, most urgent first, while its agents have room.
    Returns the escalations assigned (none under ``manual``). ``skip``: an agent who just handed
    conversations back gets none of them again in this pass."""
    mode = policy.mode(team)
    if mode == "manual":
        return []
    found = [c for c in candidates(session, team, now, policy.away_after)
             if c.load < c.user.capacity and c.user.username != skip]
    waiting = [e.id for e in queue.listing(session, EscalationStatus.QUEUED, [team])]
    assigned: list[int] = []
    for escalation_id in waiting:
        for candidate in _order([c for c in found if c.load < c.user.capacity], mode):
            if assign(session, escalation_id, candidate.user, now):
                candidate.load, candidate.last_assigned = candidate.load + 1, now
                candidate.turns = len(assigned) + 1
                assigned.append(escalation_id)
                break
        else:
            # Nobody took it: nobody has room (or someone claimed it meanwhile; the next may go).
            if not any(c.load < c.user.capacity for c in found):
                break
    return assigned


def fill_teams(session: Session, policy: Assignment, teams: Iterable[str], now: datetime,
               skip: str | None = None) -> list[int]:
    return [i for team in dict.fromkeys(teams) for i in fill(session, policy, team, now, skip)]


def waiting_teams(session: Session) -> list[str]:
    return list(session.scalars(select(Escalation.team).where(Escalation.status == EscalationStatus.QUEUED)
                                .distinct()))

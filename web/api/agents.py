"""Agents' presence and load: set your own presence, see your teams' agents; and the two calls
the rest of the console makes to keep assignment going (the console was seen, slots freed)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.db import DatabaseUnavailable, session_scope, utcnow
from routing import assignment, presence
from routing.config import Assignment
from routing.lifecycle import Presence
from routing.staff import User
from web.api import bot_control
from web.api.staff import Agent, visible_teams
from web.schemas import UtcDatetime

router = APIRouter(prefix="/api/agents", tags=["agent"])
logger = logging.getLogger(__name__)


class PresenceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Presence = Field(
        description="online: take new conversations; away: keep yours, get no new ones; "
                    "offline: yours go back to the queue")


class AgentState(BaseModel):
    username: str
    teams: list[str]
    status: str = Field(description="online, away or offline as the queue sees it: an online agent whose "
                                    "console has been silent too long is away")
    chosen: str = Field(description="online, away or offline as the agent set it")
    capacity: int = Field(description="Conversations auto-assignment gives them at once")
    load: int = Field(description="Conversations they hold now")
    last_seen_at: UtcDatetime | None = Field(description="Their console's last call")


class PresenceSet(AgentState):
    released: list[int] = Field(description="Escalations handed back to the queue (going offline)")
    assigned: list[int] = Field(description="Escalations auto-assigned as a result, to anyone")


def policy(request: Request) -> Assignment:
    config: Assignment = request.app.state.chat.router.config.assignment  # app state is untyped
    return config


def _state(session: Session, user: User, load: int, rules: Assignment) -> AgentState:
    return AgentState(username=user.username, teams=list(user.teams),
                      status=presence.effective(user, utcnow(), rules.away_after), chosen=user.presence,
                      capacity=user.capacity, load=load, last_seen_at=user.last_seen_at)


def assign_waiting(request: Request, teams: Iterable[str] | None, skip: str | None = None) -> list[int]:
    """Give the teams' waiting escalations (every team's, for None) to agents with room; in a
    transaction of its own, after the change that made room has been committed."""
    with session_scope() as session:
        return assignment.fill_teams(session, policy(request),
                                     assignment.waiting_teams(session) if teams is None else teams,
                                     utcnow(), skip=skip)


def console_seen(request: Request, user: User) -> None:
    """The agent's console called: they are not gone. One who had gone quiet is back, and may be
    given their teams' waiting conversations."""
    rules = policy(request)
    try:
        with session_scope() as session:
            back = presence.seen(session, session.get_one(User, user.id), utcnow(), rules.away_after)
        if back:
            assign_waiting(request, user.teams or None)
    except DatabaseUnavailable as error:
        # Only presence is lost (the agent may show as away for a while); the console's own
        # reads report the outage, and an open event stream is not cut for it.
        logger.warning("Could not note that %s's console called: %s", user.username, error)


@router.put("/me/presence")
def set_my_presence(body: PresenceChange, user: Agent, request: Request) -> PresenceSet:
    """Going offline hands your conversations back to the queue; coming online may assign you some."""
    with session_scope() as session:
        me = session.get_one(User, user.id)
        released = presence.set_presence(session, me, body.status, utcnow())
        freed_teams = [e.team for e in released]
        freed_conversations = [e.conversation_id for e in released]
    bot_control.resume(request, freed_conversations)
    assigned: list[int] = []
    if released:
        assigned += assign_waiting(request, freed_teams, skip=user.username)
    if body.status == Presence.ONLINE:
        assigned += assign_waiting(request, user.teams or None)
    with session_scope() as session:
        me = session.get_one(User, user.id)
        load = assignment.loads(session, [me.username])[me.username]
        state = _state(session, me, load, policy(request))
    return PresenceSet(**state.model_dump(), released=[e.id for e in released], assigned=assigned)


@router.get("")
def list_agents(user: Agent, request: Request) -> list[AgentState]:
    """The agents of the caller's teams (every agent, for admins and agents of every team), with
    their presence and how many conversations each holds."""
    teams = visible_teams(user)
    rules = policy(request)
    with session_scope() as session:
        agents = [a for a in session.scalars(select(User).where(User.role == "agent").order_by(User.username))
                  if teams is None or not a.teams or set(a.teams) & set(teams)]
        held = assignment.loads(session, (a.username for a in agents))
        return [_state(session, a, held[a.username], rules) for a in agents]

"""Handing an escalation on: back to the queue (unclaim), or to another team or a named agent
(transfer) with a note the next agent reads. Every move is an event in the escalation's timeline."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.db import session_scope, utcnow
from routing import assignment, queue
from routing.lifecycle import Presence
from routing.models import Escalation, EscalationNote
from routing.staff import User
from touchpoints import log
from web.api import bot_control
from web.api.agents import assign_waiting
from web.api.escalation_schemas import EscalationOut, public
from web.api.escalations import _load
from web.api.staff import Agent, RowId

router = APIRouter(prefix="/api/escalations", tags=["agent"])

TEAM_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team: str | None = Field(default=None, pattern=TEAM_PATTERN, description="The team it goes to")
    agent: str | None = Field(default=None, min_length=1, max_length=80, description="The agent it goes to")
    note: str = Field(min_length=1, max_length=4000, description="For the next agent: what was done, what is left")

    @model_validator(mode="after")
    def _somewhere(self) -> Transfer:
        if self.team is None and self.agent is None:
            raise ValueError("say where it goes: a team, an agent, or both")
        if not self.note.strip():
            raise ValueError("leave a note for the next agent")
        return self


class Handed(EscalationOut):
    assigned: list[int] = Field(description="Escalations auto-assigned as a result (this one among them "
                                            "when its team assigns automatically)")


def _may_move(escalation: Escalation, user: User) -> None:
    if queue.is_claimed(escalation) and escalation.claimed_by != user.username and user.role != "admin":
        raise HTTPException(409, f"{escalation.claimed_by} holds this escalation; only they or an admin can move it.")


def _known_teams(session: Session, request: Request) -> set[str]:
    config = request.app.state.chat.router.config  # app state is untyped
    teams = {config.default_team, *config.teams.values(), *(t.team for t in config.human_topics.values())}
    if config.customers.high_value is not None:
        teams.add(config.customers.high_value.team)
    for user_teams in session.scalars(select(User.teams)):
        teams.update(user_teams)
    return teams


def _target(session: Session, name: str, team: str) -> User:
    agent = session.scalar(select(User).where(User.username == name))
    if agent is None or agent.role != "agent":
        raise HTTPException(422, f"There is no agent called {name!r}.")
    if agent.teams and team not in agent.teams:
        raise HTTPException(422, f"{name} does not work for the {team} team; transfer to one of "
                                 f"{', '.join(agent.teams)}, or to the team alone.")
    if agent.presence == Presence.OFFLINE:
        raise HTTPException(409, f"{name} is offline; transfer to the team so whoever is online takes it.")
    return agent


@router.post("/{escalation_id}/unclaim")
def unclaim(escalation_id: RowId, user: Agent, request: Request) -> Handed:
    """Back to the queue for the next agent (auto-assignment may give it to a colleague, not to you)."""
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        _may_move(escalation, user)
        if not queue.is_claimed(escalation):
            raise HTTPException(409, f"Escalation {escalation_id} is {escalation.status}: there is nothing to unclaim.")
        holder = escalation.claimed_by
        queue.requeue(session, escalation, user.username)
        log.record(session, escalation.conversation_id, "unclaimed", escalation_id=escalation.id,
                   by=user.username, agent=holder)
        team, conversation_id = escalation.team, escalation.conversation_id
    bot_control.resume(request, [conversation_id])
    assigned = assign_waiting(request, [team], skip=holder)
    return _answer(escalation_id, assigned)


@router.post("/{escalation_id}/transfer")
def transfer(escalation_id: RowId, body: Transfer, user: Agent, request: Request) -> Handed:
    """To another team (back in the queue, that team's now), or straight to a named agent; the note
    is kept with the escalation's notes for whoever takes it next."""
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        _may_move(escalation, user)
        if not (queue.is_claimed(escalation) or queue.is_waiting(escalation)):
            raise HTTPException(409, f"Escalation {escalation_id} is closed; it cannot be transferred.")
        team = body.team or escalation.team
        if body.team is not None and body.team not in _known_teams(session, request):
            raise HTTPException(422, f"There is no team called {body.team!r}.")
        target = _target(session, body.agent, team) if body.agent is not None else None
        holder, old_team = escalation.claimed_by, escalation.team
        note = EscalationNote(escalation_id=escalation.id, author=user.username, text=body.note.strip())
        session.add(note)
        if queue.is_claimed(escalation):
            queue.requeue(session, escalation, user.username)
        escalation.team = team
        session.flush()
        if target is not None and not assignment.assign(session, escalation.id, target, utcnow()):
            raise HTTPException(409, f"{target.username} already holds {target.capacity} conversations, "
                                     "their capacity; transfer to the team instead.")
        log.record(session, escalation.conversation_id, "transferred", escalation_id=escalation.id,
                   by=user.username, from_agent=holder, from_team=old_team, to_team=team,
                   to_agent=target.username if target else None, note_id=note.id)
        conversation_id = escalation.conversation_id
    if holder is not None and target is None:
        bot_control.resume(request, [conversation_id])
    assigned = [] if target is not None else assign_waiting(request, [team], skip=holder)
    if target is not None or holder is not None:
        assigned += assign_waiting(request, None)  # the holder's slot is free
    return _answer(escalation_id, assigned)


def _answer(escalation_id: int, assigned: list[int]) -> Handed:
    with session_scope() as session:
        escalation = session.get_one(Escalation, escalation_id)
        return Handed(**public(escalation).model_dump(), assigned=assigned)



"""Canned responses: standardized replies agents insert into a message and adapt."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from candor.db import session_scope
from routing.models import CannedResponse
from routing.staff import User
from web.api.staff import Agent, RowId, visible_teams
from web.schemas import UtcDatetime

router = APIRouter(prefix="/api/canned-responses", tags=["agent"])


class CannedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=4000)
    team: str | None = Field(default=None, max_length=40)

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class CannedOut(BaseModel):
    id: int
    title: str
    body: str
    team: str | None = Field(description="None: shared by every team")
    updated_by: str
    updated_at: UtcDatetime


def public(canned: CannedResponse) -> CannedOut:
    return CannedOut(id=canned.id, title=canned.title, body=canned.body, team=canned.team,
                     updated_by=canned.updated_by, updated_at=canned.updated_at)


def _load(session: Session, canned_id: int, user: User) -> CannedResponse:
    canned = session.get(CannedResponse, canned_id)
    teams = visible_teams(user)
    if canned is None or (teams is not None and canned.team is not None and canned.team not in teams):
        raise HTTPException(404, f"No canned response {canned_id} for your teams.")
    return canned


@router.get("")
def list_canned(user: Agent) -> list[CannedOut]:
    """Shared ones (no team) and those of the caller's teams, by title."""
    query = select(CannedResponse).order_by(CannedResponse.title)
    teams = visible_teams(user)
    if teams is not None:
        query = query.where(or_(CannedResponse.team.is_(None), CannedResponse.team.in_(teams)))
    with session_scope() as session:
        return [public(c) for c in session.scalars(query)]


def _check_team(team: str | None, user: User) -> None:
    """An agent writes shared replies or their own teams' ones, never another team's."""
    teams = visible_teams(user)
    if team is not None and teams is not None and team not in teams:
        raise HTTPException(403, f"You can only write canned responses for your teams ({', '.join(teams)}) "
                                 "or shared ones (no team).")


@router.post("", status_code=201)
def create_canned(body: CannedIn, user: Agent) -> CannedOut:
    _check_team(body.team, user)
    with session_scope() as session:
        canned = CannedResponse(**body.model_dump(), updated_by=user.username)
        session.add(canned)
        session.flush()
        return public(canned)


@router.put("/{canned_id}")
def update_canned(canned_id: RowId, body: CannedIn, user: Agent) -> CannedOut:
    with session_scope() as session:
        canned = _load(session, canned_id, user)  # another team's looks like none (404) first
        _check_team(body.team, user)
        canned.title, canned.body, canned.team = body.title, body.body, body.team
        canned.updated_by = user.username
        session.flush()
        return public(canned)


@router.delete("/{canned_id}", status_code=204)
def delete_canned(canned_id: RowId, user: Agent) -> None:
    with session_scope() as session:
        session.delete(_load(session, canned_id, user))

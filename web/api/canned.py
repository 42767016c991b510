"""Canned responses: standardized replies agents insert into a message and adapt.

Their ``{customer_name}`` is filled from what we know of the customer (``customer_name``); when
nothing is known the placeholder goes with its comma ("Hi {customer_name}, thanks" → "Hi, thanks"),
so a customer never reads it raw. The console does the same as the agent inserts a reply
(console-words.js), and the server again on every reply it sends (``fill_customer_name``)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from candor.db import session_scope
from routing.models import CannedResponse, FollowUp
from routing.staff import User
from touchpoints.customer_models import Customer
from touchpoints.models import Conversation
from web.api.staff import Agent, RowId, visible_teams
from web.schemas import UtcDatetime

router = APIRouter(prefix="/api/canned-responses", tags=["agent"])

# Attribute keys a site may pass the customer's name under, the one to greet them by first.
NAME_KEYS = ("first_name", "name", "full_name", "customer_name")
PLACEHOLDER = "{customer_name}"
_UNSAFE_NAME = re.compile(r"[{}<>\x00-\x1f\x7f]")
_AT_START = re.compile(r"(^|[.!?]\s+)\{customer_name\},?[ \t]*(\w?)", re.MULTILINE)
_DEAR = re.compile(r"\b(Dear)\s+\{customer_name\}")
_INSIDE = re.compile(r",?[ \t]*\{customer_name\}")


def checked_name(value: str | None) -> str | None:
    """A name fit to put in a reply: trimmed; no braces (it would read as a placeholder), no markup
    or control characters. Raises ValueError with words for the customer's form."""
    if value is None or not value.strip():
        return None
    if _UNSAFE_NAME.search(value):
        raise ValueError("a name cannot contain braces, angle brackets or line breaks")
    return " ".join(value.split())


def _usable(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 80:
        return None
    try:
        return checked_name(value)
    except ValueError:
        return None


def _from_attributes(attributes: dict[str, Any] | None) -> str | None:
    for key in NAME_KEYS:
        found = _usable((attributes or {}).get(key))
        if found:
            return found
    return None


def customer_name(session: Session, conversation_id: str) -> str | None:
    """What we know the customer is called, most trustworthy first: the verified customer record's
    attributes, the name they left on a follow-up (this conversation's, then their others'), the
    conversation's own (unverified) attributes. None when nobody said."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    customer = session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    if customer is not None and customer.verified and _from_attributes(customer.attributes):
        return _from_attributes(customer.attributes)
    same_customer = (Conversation.customer_id == conversation.customer_id if conversation.customer_id
                     else Conversation.id == conversation.id)
    left = session.scalars(
        select(FollowUp.name).join(Conversation, Conversation.id == FollowUp.conversation_id)
        .where(same_customer, FollowUp.name.is_not(None))
        .order_by((FollowUp.conversation_id == conversation.id).desc(), FollowUp.id.desc()).limit(1)).first()
    return _usable(left) or _from_attributes(conversation.attributes)


def fill_customer_name(text: str, name: str | None) -> str:
    """The text with every {customer_name} filled; unknown, it leaves with its comma, and a sentence
    it started begins with the next word ("{customer_name}, we…" → "We…"; "Dear {customer_name}" →
    "Dear customer")."""
    if PLACEHOLDER not in text:
        return text
    if name:
        return text.replace(PLACEHOLDER, name)
    text = _DEAR.sub(r"\1 customer", text)
    text = _AT_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)
    return _INSIDE.sub("", text)


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

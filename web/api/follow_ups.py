"""E-mail follow-ups: customers leave an address instead of waiting; staff work the list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from candor.db import session_scope, utcnow
from routing import service_level
from routing.models import FollowUp
from touchpoints import log
from touchpoints.models import Conversation
from web.api.conversations import customer_conversation
from web.api.staff import Agent, RowId, visible_teams
from web.chat import public_message
from web.rate_limits import per_ip

customer_router = APIRouter(prefix="/api/conversations", tags=["customer"])
staff_router = APIRouter(prefix="/api/follow-ups", tags=["agent"])


class FollowUpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    note: str = Field(default="", max_length=2000)

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if service_level.find_email(value) != value:
            raise ValueError("that doesn't look like an e-mail address; use the form name@example.com")
        return value


def public(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "id": follow_up.id, "conversation_id": follow_up.conversation_id, "escalation_id": follow_up.escalation_id,
        "email": follow_up.email, "note": follow_up.note, "team": follow_up.team, "status": follow_up.status,
        "created_at": follow_up.created_at.isoformat() + "Z", "done_by": follow_up.done_by,
    }


@customer_router.post("/{conversation_id}/follow-up", status_code=201, dependencies=[Depends(per_ip)])
def leave_follow_up(
    body: FollowUpRequest, conversation: Annotated[Conversation, Depends(customer_conversation)]
) -> dict[str, Any]:
    with session_scope() as session:
        follow_up, ack = service_level.leave_follow_up(session, conversation.id, body.email, body.note)
        return {**public(follow_up), "message": public_message(ack)}


@staff_router.get("")
def list_follow_ups(user: Agent) -> list[dict[str, Any]]:
    """Open follow-ups for the agent's teams (admins: all), oldest first."""
    with session_scope() as session:
        return [public(f) for f in service_level.open_follow_ups(session, visible_teams(user))]


@staff_router.post("/{follow_up_id}/done")
def mark_done(follow_up_id: RowId, user: Agent) -> dict[str, Any]:
    with session_scope() as session:
        follow_up = session.get(FollowUp, follow_up_id)
        teams = visible_teams(user)
        if follow_up is None or (teams is not None and follow_up.team not in teams):
            raise HTTPException(404, f"No follow-up {follow_up_id} for your teams.")
        if follow_up.status == "done":
            raise HTTPException(409, f"Follow-up {follow_up_id} was already done by {follow_up.done_by}.")
        follow_up.status, follow_up.done_by, follow_up.done_at = "done", user.username, utcnow()
        log.record(session, follow_up.conversation_id, "follow_up_done", follow_up_id=follow_up.id, by=user.username)
        return public(follow_up)

"""E-mail follow-ups: customers leave an address instead of waiting (and get an acknowledgement by
e-mail); staff work the list and answer by e-mail, each reply also kept in the transcript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.db import session_scope, utcnow
from conversations import mail
from conversations.outbox import OutboundMail
from conversations.turn import public_message
from routing import service_level
from routing.models import FollowUp
from routing.staff import User
from touchpoints import log
from touchpoints.models import Conversation
from web.api import canned
from web.api.conversations import ChatMessage, CustomerMessage, customer_conversation
from web.api.staff import Agent, RowId, visible_teams
from web.rate_limits import per_ip
from web.schemas import UtcDatetime

customer_router = APIRouter(prefix="/api/conversations", tags=["customer"])
staff_router = APIRouter(prefix="/api/follow-ups", tags=["agent"])


class EmailAddress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if service_level.find_email(value) != value:
            raise ValueError("that doesn't look like an e-mail address; use the form name@example.com")
        return value


class FollowUpRequest(EmailAddress):
    name: str | None = Field(default=None, max_length=80, description="How the customer wants to be addressed")
    note: str = Field(default="", max_length=2000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return canned.checked_name(value)


class MailState(BaseModel):
    """Where one e-mail is: queued (waiting or being retried), sent, or failed (a person must look)."""

    id: int
    kind: str = Field(description="follow_up_ack, follow_up_reply or transcript")
    status: str = Field(description="queued, sent or failed")
    attempts: int
    last_error: str | None = Field(description="Why the last attempt failed; None once sent")
    created_at: UtcDatetime
    sent_at: UtcDatetime | None
    next_attempt_at: UtcDatetime | None = Field(description="When a queued mail is tried next; None otherwise")


class FollowUpOut(BaseModel):
    id: int
    conversation_id: str
    escalation_id: int | None
    email: str
    name: str | None = Field(description="The name the customer left, if any")
    note: str
    team: str
    status: str = Field(description="open or done")
    created_at: UtcDatetime
    done_by: str | None
    mails: list[MailState] = Field(default_factory=list, description="E-mails sent for it, newest first")


class FollowUpLeft(FollowUpOut):
    message: ChatMessage = Field(description="The acknowledgement shown in the chat")


class FollowUpReplied(BaseModel):
    follow_up: FollowUpOut
    message: ChatMessage = Field(description="The reply as written into the transcript")
    mail: MailState


def mail_state(mail: OutboundMail) -> MailState:
    return MailState(id=mail.id, kind=mail.kind, status=mail.status, attempts=mail.attempts,
                     last_error=mail.last_error, created_at=mail.created_at, sent_at=mail.sent_at,
                     next_attempt_at=mail.next_attempt_at if mail.status == "queued" else None)


def _mails(session: Session, follow_up_id: int) -> list[MailState]:
    found = session.scalars(select(OutboundMail).where(OutboundMail.follow_up_id == follow_up_id)
                            .order_by(OutboundMail.id.desc()))
    return [mail_state(m) for m in found]


def out(follow_up: FollowUp, session: Session) -> FollowUpOut:
    """The follow-up as the API shows it, with its mails (escalation details embed it too)."""
    return FollowUpOut(id=follow_up.id, conversation_id=follow_up.conversation_id,
                       escalation_id=follow_up.escalation_id, email=follow_up.email, name=follow_up.name,
                       note=follow_up.note, team=follow_up.team, status=follow_up.status,
                       created_at=follow_up.created_at, done_by=follow_up.done_by, mails=_mails(session, follow_up.id))


@customer_router.post("/{conversation_id}/follow-up", status_code=201, dependencies=[Depends(per_ip)])
def leave_follow_up(
    body: FollowUpRequest, conversation: Annotated[Conversation, Depends(customer_conversation)]
) -> FollowUpLeft:
    """Leave an address instead of waiting; an acknowledgement goes to it by e-mail."""
    with session_scope() as session:
        follow_up, ack = mail.leave_follow_up(session, conversation.id, body.email, body.note)
        follow_up.name = body.name or follow_up.name   # a second request without a name keeps the first
        return FollowUpLeft(**out(follow_up, session).model_dump(),
                            message=ChatMessage.model_validate(public_message(ack)))


@staff_router.get("")
def list_follow_ups(user: Agent) -> list[FollowUpOut]:
    """Open follow-ups for the agent's teams (admins: all), oldest first, each with its e-mails."""
    with session_scope() as session:
        return [out(f, session) for f in service_level.open_follow_ups(session, visible_teams(user))]


def _load(session: Session, follow_up_id: int, user: User) -> FollowUp:
    follow_up = session.get(FollowUp, follow_up_id)
    teams = visible_teams(user)
    if follow_up is None or (teams is not None and follow_up.team not in teams):
        raise HTTPException(404, f"No follow-up {follow_up_id} for your teams.")
    return follow_up


@staff_router.post("/{follow_up_id}/done")
def mark_done(follow_up_id: RowId, user: Agent) -> FollowUpOut:
    with session_scope() as session:
        follow_up = _load(session, follow_up_id, user)
        if follow_up.status == "done":
            raise HTTPException(409, f"Follow-up {follow_up_id} was already done by {follow_up.done_by}.")
        follow_up.status, follow_up.done_by, follow_up.done_at = "done", user.username, utcnow()
        log.record(session, follow_up.conversation_id, "follow_up_done", follow_up_id=follow_up.id, by=user.username)
        return out(follow_up, session)


@staff_router.post("/{follow_up_id}/reply", status_code=201)
def reply(follow_up_id: RowId, body: CustomerMessage, user: Agent) -> FollowUpReplied:
    """Answer by e-mail (queued now, sent by the web app; its state shows in the follow-up's mails).
    The follow-up stays open until someone marks it done: a reply may ask the customer something."""
    with session_scope() as session:
        follow_up = _load(session, follow_up_id, user)
        # A canned reply's {customer_name} never reaches the customer as written.
        text = canned.fill_customer_name(body.text, canned.customer_name(session, follow_up.conversation_id))
        message, sent = mail.reply_to_follow_up(session, follow_up, user.username, text)
        return FollowUpReplied(follow_up=out(follow_up, session),
                               message=ChatMessage.model_validate(public_message(message)), mail=mail_state(sent))

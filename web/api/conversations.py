"""Customer side of the public API: start a conversation, send messages, read the transcript."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse

from candor.db import DatabaseUnavailable, session_scope
from conversations import customers
from conversations.turn import ChatService, ConversationClosed, KeyReused, public_message
from routing import queue
from routing.policy import Router
from touchpoints import conversations, live, log
from touchpoints.models import Conversation
from touchpoints.redaction import redact
from touchpoints.status import ConversationStatus
from web.live import LiveHub
from web.rate_limits import per_ip
from web.schemas import UtcDatetime

router = APIRouter(prefix="/api/conversations", tags=["customer"])

MAX_MESSAGE_CHARS = 4000
RETRY_S = 2.0  # after the database failed a stream's read
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CustomerClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
                    description="The business's own customer id (printable ASCII, no spaces)")
    signature: str | None = Field(default=None, max_length=128,
                                  description="Hex HMAC-SHA256 of the id with CANDOR_IDENTITY_SECRET")


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=20)
    customer: CustomerClaim | None = None
    visitor: str | None = Field(default=None, pattern=customers.VISITOR_ID.pattern,
                                description="The widget's id for this browser: 16-64 letters, digits, - or _")


class CustomerMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=MAX_MESSAGE_CHARS)

    @field_validator("text")
    @classmethod
    def _readable(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("text contains control characters; send plain text")
        value = value.strip()
        if not value:
            raise ValueError("text is empty; type a message")
        return value


class ConversationCreated(BaseModel):
    id: str
    token: str = Field(description="Send as 'Authorization: Bearer <token>' on every later call")


class _Stored(BaseModel):
    # Parts of a stored reply: keys the bot adds beyond these are passed on, never dropped.
    model_config = ConfigDict(extra="allow")


class MessageSource(_Stored):
    article_id: str
    title: str
    url: str | None = Field(default=None, description="Absent when the article has no page")


class MessageButton(_Stored):
    title: str
    payload: str = Field(description="Send it back as the message text to choose this button")


class ChatMessage(BaseModel):
    seq: int = Field(description="Order in the conversation; an event stream resumes after it")
    sender: str = Field(description="customer, bot or agent")
    text: str
    created_at: UtcDatetime
    sources: list[MessageSource]
    buttons: list[MessageButton]
    details: dict[str, Any] = Field(description="Structured transparency: cost breakdown, fit, …")
    sender_name: str | None = Field(default=None, description="An agent's name as the customer sees it, "
                                                               "e.g. Sam (Support); None for others")


class TurnReply(BaseModel):
    messages: list[ChatMessage] = Field(description="The replies to this message, in order")
    status: str = Field(description="bot, queued, agent or closed")


class RatingSaved(BaseModel):
    ok: bool
    score: int


class QueuePlace(BaseModel):
    position: int = Field(description="1 when next in line")
    wait_minutes: int
    team: str


class Transcript(BaseModel):
    id: str
    status: str = Field(description="bot, queued, agent or closed")
    queue: QueuePlace | None = Field(description="While queued: the place in line and the expected wait")
    messages: list[ChatMessage]


async def chat_service(request: Request) -> ChatService:
    # async: it only reads app state, and FastAPI runs a sync dependency in a worker thread (each
    # hop was ~2 % of the web app's CPU per turn under the load bench).
    chat: ChatService = request.app.state.chat  # Starlette's app state is untyped
    return chat


def customer_conversation(
    conversation_id: str,
    authorization: Annotated[str | None, Header()] = None,
) -> Conversation:
    """The conversation the bearer token belongs to; anything else looks like 'not found'."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "Send the conversation token as 'Authorization: Bearer <token>'.")
    with session_scope() as session:
        conversation = conversations.authorize(session, conversation_id, authorization[7:].strip())
    if conversation is None:
        raise HTTPException(404, "No conversation with that id for this token.")
    return conversation


@router.post("", status_code=201, dependencies=[Depends(per_ip)],
             responses={401: {"description": "customer.signature missing or wrong; nothing stored"}})
def create_conversation(request: Request, body: NewConversation | None = None) -> ConversationCreated:
    body = body or NewConversation()
    try:  # checked before the transaction opens: a refused identity stores nothing
        identity = customers.check(request.app.state.settings.identity_secret.get_secret_value(),
                                   body.customer.id if body.customer else None,
                                   body.customer.signature if body.customer else None,
                                   body.attributes, body.visitor)
    except customers.IdentityRefused as refused:
        raise HTTPException(401, str(refused)) from None
    with session_scope() as session:
        conversation, token = conversations.create(session, identity.attributes or None)
        customers.link(session, conversation, identity)
        return ConversationCreated(id=conversation.id, token=token)


@router.post("/{conversation_id}/messages", dependencies=[Depends(per_ip)], response_model=TurnReply,
             response_model_exclude_unset=True)
def send_message(
    request: Request,
    body: CustomerMessage,
    conversation: Annotated[Conversation, Depends(customer_conversation)],
    chat: Annotated[ChatService, Depends(chat_service)],
    response: Response,
    idempotency_key: Annotated[str | None, Header(
        max_length=200, pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (e.g. a UUID) per message: a repeat with the same key is answered "
                    "with the first reply and not processed again.")] = None,
) -> dict[str, Any]:  # conversations.turn's messages, described (and kept key for key) by TurnReply
    # Counted after the token check, so nobody can use up another customer's allowance.
    request.app.state.rate_limits.hit("conversation", conversation.id)
    try:
        result = chat.customer_turn(conversation, body.text, idempotency_key)
    except KeyReused as error:
        raise HTTPException(422, str(error)) from error
    except ConversationClosed as error:
        raise HTTPException(409, str(error)) from error
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {"messages": result.messages, "status": result.status}


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


@router.post("/{conversation_id}/rating", dependencies=[Depends(per_ip)])
def rate(
    body: Rating,
    conversation: Annotated[Conversation, Depends(customer_conversation)],
    chat: Annotated[ChatService, Depends(chat_service)],
) -> RatingSaved:
    # A comment is customer text like any message: masked before it is stored.
    comment = redact(body.comment, chat.redact_kinds) if body.comment else body.comment
    with session_scope() as session:
        log.record(session, conversation.id, "rating", score=body.score, comment=comment, source="api")
    return RatingSaved(ok=True, score=body.score)


@router.get("/{conversation_id}", response_model=Transcript, response_model_exclude_unset=True)
def get_conversation(
    conversation: Annotated[Conversation, Depends(customer_conversation)],
    chat: Annotated[ChatService, Depends(chat_service)],
) -> dict[str, Any]:  # described (and kept key for key) by Transcript
    with session_scope() as session:
        messages = conversations.transcript(session, conversation.id)
        current = session.get_one(Conversation, conversation.id)
        return {
            "id": conversation.id,
            **_status(session, current, chat.router),
            "messages": [public_message(m) for m in messages],
        }


def _status(session: Session, conversation: Conversation, router: Router) -> dict[str, Any]:
    """The conversation's status and, while it waits for a person, its place and the wait."""
    status: dict[str, Any] = {"status": conversation.status, "queue": None}
    if conversation.status == ConversationStatus.QUEUED:
        escalation = queue.open_escalation(session, conversation.id)
        if escalation is not None:
            status["queue"] = {
                "position": queue.position(session, escalation),
                "wait_minutes": queue.estimated_wait_minutes(session, router.fallback_wait_minutes()),
                "team": escalation.team,
            }
    return status


def _news(conversation_id: str, after: int, router: Router) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    with session_scope() as session:
        messages = conversations.transcript(session, conversation_id, after=after)
        status = _status(session, session.get_one(Conversation, conversation_id), router)
        return [public_message(m) for m in messages], status


STREAM_DOC = ("Server-Sent Events: `message` (data: a ChatMessage as JSON, id: its seq), `status` (data: "
              "{status, queue} as in the transcript) and `error` (data: {detail}) while the database is away")


@router.get("/{conversation_id}/events", response_class=EventSourceResponse, responses={
    200: {"description": STREAM_DOC, "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
async def conversation_events(
    request: Request,
    conversation: Annotated[Conversation, Depends(customer_conversation)],
    chat: Annotated[ChatService, Depends(chat_service)],
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """Server-Sent Events: each new message (``message``, id = its seq) and status changes (``status``).

    The stream reads the database when the live hub says the conversation changed (in this
    worker or, through Redis, another), and every few seconds regardless; a reconnecting
    client resumes after ``Last-Event-ID``.
    """
    if last_event_id and re.fullmatch(r"[0-9]{1,18}", last_event_id):  # ASCII digits only, in range
        after = max(after, int(last_event_id))
    hub: LiveHub = request.app.state.live

    async def stream() -> AsyncIterator[dict[str, str]]:
        seen, last_status = after, None
        # Watching starts before the first read, so a change during a read wakes the next wait.
        with hub.watch(conversation.id) as watch:
            while not await request.is_disconnected():
                try:
                    messages, status = await run_in_threadpool(_news, conversation.id, seen, chat.router)
                except DatabaseUnavailable:
                    yield {"event": "error", "data": json.dumps({"detail": "The service is briefly unavailable."})}
                    await asyncio.sleep(RETRY_S)
                    continue
                for message in messages:
                    seen = message["seq"]
                    yield {"event": "message", "id": str(seen), "data": json.dumps(message)}
                if status != last_status:
                    last_status = status
                    yield {"event": "status", "data": json.dumps(status)}
                # While queued, the place in line moves whenever the queue does.
                waiting = status["status"] == ConversationStatus.QUEUED
                watch.topics = {conversation.id, live.QUEUE} if waiting else {conversation.id}
                await watch.wait(hub.fallback_s)

    return EventSourceResponse(stream(), ping=15)

"""Agent side: the queue, claiming, replying live, and handing back to the bot."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse

from candor.db import session_scope
from routing import queue
from routing.lifecycle import EscalationStatus
from routing.models import Escalation, EscalationNote, FollowUp
from routing.staff import User
from touchpoints import conversations, live, log
from touchpoints.models import Event
from web.api.conversations import CustomerMessage
from web.api.follow_ups import public as follow_up_public
from web.api.staff import Agent, RowId, visible_teams
from web.chat import public_message
from web.live import LiveHub
from web.rasa_client import RasaUnavailable

router = APIRouter(prefix="/api/escalations", tags=["agent"])
logger = logging.getLogger(__name__)

RATING_PROMPT = "You're back with our assistant. How would you rate the help you got today?"
RATING_BUTTONS = [{"title": str(n), "payload": f'/rate{{"rating": "{n}"}}'} for n in range(1, 6)]


class Resolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    return_to_bot: bool = True


def public(escalation: Escalation) -> dict[str, Any]:
    return {
        "id": escalation.id, "conversation_id": escalation.conversation_id, "status": escalation.status,
        "priority": escalation.priority, "team": escalation.team, "reasons": escalation.reasons,
        "claimed_by": escalation.claimed_by, "created_at": escalation.created_at.isoformat() + "Z",
        "sla_due_at": escalation.sla_due_at.isoformat() + "Z",
        "sla_breached": escalation.sla_breached_at is not None,
    }


def _load(session: Session, escalation_id: int, user: User) -> Escalation:
    escalation = session.get(Escalation, escalation_id)
    teams = visible_teams(user)
    if escalation is None or (teams is not None and escalation.team not in teams):
        raise HTTPException(404, f"No escalation {escalation_id} in your queue.")
    return escalation


@router.get("")
def list_escalations(
    user: Agent,
    status: EscalationStatus | None = None,
    mine: bool = False,
) -> list[dict[str, Any]]:
    """Most urgent first; ``mine=true`` lists only those the caller holds or closed."""
    with session_scope() as session:
        rows = queue.listing(session, status, visible_teams(user))
        return [public(e) for e in rows if not mine or e.claimed_by == user.username]


@router.get("/events")
async def console_events(
    request: Request,
    user: Agent,
    open_id: Annotated[int | None, Query(alias="open", ge=1, le=2**63 - 1,
                                         description="The escalation the console has open.")] = None,
) -> EventSourceResponse:
    """Server-Sent Events for the agent console: ``changed`` whenever an escalation changes
    (any queue: the console re-reads the ones it may see) or the open conversation does.
    The event carries nothing, so it tells no agent about another team's work."""
    topics = {live.QUEUE}
    if open_id is not None:
        def conversation_of() -> str:
            with session_scope() as session:
                return _load(session, open_id, user).conversation_id
        topics.add(await run_in_threadpool(conversation_of))
    hub: LiveHub = request.app.state.live

    async def stream() -> AsyncIterator[dict[str, str]]:
        with hub.watch(*topics) as watch:
            yield {"event": "ready", "data": "{}"}  # watching from here: re-read once, then on each change
            while not await request.is_disconnected():
                if await watch.wait(hub.fallback_s):
                    yield {"event": "changed", "data": "{}"}

    return EventSourceResponse(stream(), ping=15)


@router.get("/{escalation_id}")
def get_escalation(escalation_id: RowId, user: Agent) -> dict[str, Any]:
    """The escalation with the whole transcript, the bot's reasons and what it considered."""
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        events = session.scalars(select(Event).where(
            Event.conversation_id == escalation.conversation_id,
            Event.kind.in_(["answer", "unsure", "escalated"])).order_by(Event.id)).all()
        considered = list(dict.fromkeys(a for e in events for a in e.data.get("considered", [])))
        return {
            **public(escalation),
            "transcript": [public_message(m) for m in conversations.transcript(session, escalation.conversation_id)],
            "considered_articles": considered,
            "evidence": [e.data.get("evidence", {}) for e in events if e.kind == "escalated"],
            "follow_ups": [follow_up_public(f) for f in session.scalars(
                select(FollowUp).where(FollowUp.conversation_id == escalation.conversation_id))],
            "notes": [_note(n) for n in session.scalars(
                select(EscalationNote).where(EscalationNote.escalation_id == escalation.id)
                .order_by(EscalationNote.id))],
        }


def _note(note: EscalationNote) -> dict[str, Any]:
    return {"id": note.id, "author": note.author, "text": note.text, "created_at": note.created_at.isoformat() + "Z"}


@router.post("/{escalation_id}/notes", status_code=201)
def add_note(escalation_id: RowId, body: CustomerMessage, user: Agent) -> dict[str, Any]:
    """An internal note for colleagues; it never reaches the customer."""
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        note = EscalationNote(escalation_id=escalation.id, author=user.username, text=body.text)
        session.add(note)
        session.flush()
        log.record(session, escalation.conversation_id, "note", escalation_id=escalation.id, by=user.username)
        return _note(note)


@router.post("/{escalation_id}/claim")
def claim(escalation_id: RowId, user: Agent, request: Request) -> dict[str, Any]:
    with session_scope() as session:
        _load(session, escalation_id, user)
        try:
            escalation = queue.claim(session, escalation_id, user.username)
        except (queue.ClaimConflict, queue.IllegalTransition) as error:
            raise HTTPException(409, str(error)) from error
        result = public(escalation)
    _tell_rasa(request, escalation.conversation_id, "pause")
    return result


@router.post("/{escalation_id}/messages")
def agent_message(escalation_id: RowId, body: CustomerMessage, user: Agent) -> dict[str, Any]:
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        if not queue.is_claimed(escalation) or (escalation.claimed_by != user.username and user.role != "admin"):
            raise HTTPException(409, "Claim this escalation before replying; it is not held by you.")
        message = conversations.append(session, escalation.conversation_id, "agent", body.text,
                                       {"agent": user.username})
        return public_message(message)


@router.post("/{escalation_id}/resolve")
def resolve(escalation_id: RowId, body: Resolve, user: Agent, request: Request) -> dict[str, Any]:
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        if queue.is_claimed(escalation) and escalation.claimed_by != user.username and user.role != "admin":
            raise HTTPException(409, f"{escalation.claimed_by} holds this escalation.")
        try:
            conversation = queue.resolve(session, escalation_id, user.username, body.return_to_bot)
        except queue.IllegalTransition as error:
            raise HTTPException(409, str(error)) from error
        if body.return_to_bot:
            conversations.append(session, conversation.id, "bot", RATING_PROMPT, {"buttons": RATING_BUTTONS})
        log.record(session, conversation.id, "resolved", by=user.username, return_to_bot=body.return_to_bot)
        result = {**public(escalation), "conversation_status": conversation.status}
    if body.return_to_bot:
        _tell_rasa(request, escalation.conversation_id, "resume")
    return result


def _tell_rasa(request: Request, conversation_id: str, event: str) -> None:
    """Pause/resume the Rasa tracker too; the web app already routes by status, so a failure
    here is logged rather than undoing the agent's action."""
    try:
        request.app.state.chat.rasa.append_event(conversation_id, {"event": event})
    except RasaUnavailable as error:
        logger.error("Could not %s Rasa conversation %s: %s", event, conversation_id, error)

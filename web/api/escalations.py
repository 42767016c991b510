"""Agent side: the queue, claiming, replying live, and handing back to the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse

from candor.db import session_scope, utcnow
from conversations.turn import public_message
from routing import assignment, queue, workload
from routing.lifecycle import EscalationStatus
from routing.models import Escalation, EscalationNote, FollowUp
from routing.staff import User, public_name
from touchpoints import conversations, live, log
from touchpoints.models import Event
from web.api import canned
from web.api.agents import assign_waiting, console_seen
from web.api.bot_control import tell_rasa as _tell_rasa
from web.api.conversations import ChatMessage, CustomerMessage
from web.api.escalation_schemas import EscalationDetail, EscalationOut, NoteOut, Resolved, note, public, timeline
from web.api.follow_ups import out as follow_up_out
from web.api.history import history
from web.api.staff import Agent, RowId, visible_teams
from web.live import LiveHub

router = APIRouter(prefix="/api/escalations", tags=["agent"])

RATING_PROMPT = "You're back with our assistant. How would you rate the help you got today?"
CLOSED_PROMPT = "This conversation is now closed. How would you rate the help you got today?"
# How often an open console stream counts as the console being seen (presence).
SEEN_EVERY_S = 30.0
RATING_BUTTONS = [{"title": str(n), "payload": f'/rate{{"rating": "{n}"}}'} for n in range(1, 6)]


class Resolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    return_to_bot: bool = True


def _load(session: Session, escalation_id: int, user: User) -> Escalation:
    escalation = session.get(Escalation, escalation_id)
    teams = visible_teams(user)
    if escalation is None or (teams is not None and escalation.team not in teams):
        raise HTTPException(404, f"No escalation {escalation_id} in your queue.")
    return escalation


@router.get("")
def list_escalations(
    user: Agent,
    request: Request,
    status: EscalationStatus | None = None,
    mine: bool = False,
) -> list[EscalationOut]:
    """Most urgent first; ``mine=true`` lists only those the caller holds or closed. The console
    polls this, so it also tells presence the agent's console is there."""
    console_seen(request, user)
    with session_scope() as session:
        rows = queue.listing(session, status, visible_teams(user))
        return [public(e) for e in rows if not mine or e.claimed_by == user.username]


@router.get("/events", response_class=EventSourceResponse, responses={
    200: {"description": "Server-Sent Events: `ready` once, then `changed` (empty data) whenever the queue or "
                         "the open conversation changes; re-read what you show.",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
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
        seen_at = utcnow()
        await run_in_threadpool(console_seen, request, user)
        with hub.watch(*topics) as watch:
            yield {"event": "ready", "data": "{}"}  # watching from here: re-read once, then on each change
            while not await request.is_disconnected():
                if await watch.wait(hub.fallback_s):
                    yield {"event": "changed", "data": "{}"}
                if (utcnow() - seen_at).total_seconds() >= SEEN_EVERY_S:  # an open stream is a console there
                    seen_at = utcnow()
                    await run_in_threadpool(console_seen, request, user)

    return EventSourceResponse(stream(), ping=15)


@router.get("/{escalation_id}")
def get_escalation(escalation_id: RowId, user: Agent) -> EscalationDetail:
    """The escalation with the whole transcript, the bot's reasons and what it considered, the
    notes (a transfer's note among them), the timeline of its moves, its follow-ups with their
    e-mails, and the customer's earlier conversations."""
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        events = session.scalars(select(Event).where(
            Event.conversation_id == escalation.conversation_id,
            Event.kind.in_(["answer", "unsure", "escalated"])).order_by(Event.id)).all()
        considered = list(dict.fromkeys(a for e in events for a in e.data.get("considered", [])))
        return EscalationDetail(
            **public(escalation).model_dump(),
            transcript=[public_message(m) for m in conversations.transcript(session, escalation.conversation_id)],
            considered_articles=considered,
            evidence=[e.data.get("evidence", {}) for e in events if e.kind == "escalated"],
            follow_ups=[follow_up_out(f, session) for f in session.scalars(
                select(FollowUp).where(FollowUp.conversation_id == escalation.conversation_id)
                .order_by(FollowUp.id))],
            customer_name=canned.customer_name(session, escalation.conversation_id),
            history=history(session, escalation.conversation_id, visible_teams(user)),
            notes=[note(n) for n in session.scalars(
                select(EscalationNote).where(EscalationNote.escalation_id == escalation.id)
                .order_by(EscalationNote.id))],
            timeline=timeline(session, escalation),
        )


@router.post("/{escalation_id}/notes", status_code=201)
def add_note(escalation_id: RowId, body: CustomerMessage, user: Agent) -> NoteOut:
    """An internal note for colleagues; it never reaches the customer."""
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        row = EscalationNote(escalation_id=escalation.id, author=user.username, text=body.text)
        session.add(row)
        session.flush()
        log.record(session, escalation.conversation_id, "note", escalation_id=escalation.id, by=user.username)
        return note(row)


@router.post("/{escalation_id}/claim")
def claim(escalation_id: RowId, user: Agent, request: Request) -> EscalationOut:
    """Take a waiting escalation; an agent already holding their capacity is refused (409)."""
    with session_scope() as session:
        _load(session, escalation_id, user)
        try:
            escalation = assignment.claim(session, escalation_id, user, utcnow())
        except (queue.ClaimConflict, queue.IllegalTransition, assignment.AtCapacity) as error:
            raise HTTPException(409, str(error)) from error
        result = public(escalation)
    _tell_rasa(request, escalation.conversation_id, "pause")
    return result


@router.post("/{escalation_id}/messages")
def agent_message(escalation_id: RowId, body: CustomerMessage, user: Agent) -> ChatMessage:
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        if not queue.is_claimed(escalation) or (escalation.claimed_by != user.username and user.role != "admin"):
            raise HTTPException(409, "Claim this escalation before replying; it is not held by you.")
        # A canned reply's {customer_name} never reaches the customer as written.
        text = canned.fill_customer_name(body.text, canned.customer_name(session, escalation.conversation_id))
        message = conversations.append(session, escalation.conversation_id, "agent", text,
                                       {"agent": user.username, "agent_name": public_name(user)})
        workload.replied(session, escalation.id, message.created_at)   # same transaction as the reply
        return ChatMessage.model_validate(public_message(message))


@router.post("/{escalation_id}/resolve")
def resolve(escalation_id: RowId, body: Resolve, user: Agent, request: Request) -> Resolved:
    """Closes it; the conversation goes back to the bot (with a rating prompt) or ends. The slot it
    frees may be given the next waiting escalation (auto-assignment)."""
    with session_scope() as session:
        escalation = _load(session, escalation_id, user)
        if queue.is_claimed(escalation) and escalation.claimed_by != user.username and user.role != "admin":
            raise HTTPException(409, f"{escalation.claimed_by} holds this escalation.")
        try:
            conversation = queue.resolve(session, escalation_id, user.username, body.return_to_bot)
        except queue.IllegalTransition as error:
            raise HTTPException(409, str(error)) from error
        # Either way the customer is asked for a rating; after a close the conversation takes only that.
        conversations.append(session, conversation.id, "bot", RATING_PROMPT if body.return_to_bot else CLOSED_PROMPT,
                             {"buttons": RATING_BUTTONS})
        log.record(session, conversation.id, "resolved", by=user.username, return_to_bot=body.return_to_bot)
        result = Resolved(**public(escalation).model_dump(), conversation_status=conversation.status)
        holder = escalation.claimed_by
    if body.return_to_bot:
        _tell_rasa(request, escalation.conversation_id, "resume")
    if holder is not None:
        assign_waiting(request, None)
    return result

"""A customer's turn: store it, let the bot or the person holding it answer, store the reply.

The conversation service: every status a conversation moves through during a turn is set here or
in the routing queue it calls. The bot and the locks are ports the web app fills (Rasa over HTTP,
in-process or Redis locks), so the turn knows neither HTTP nor Redis."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from candor.db import session_scope, utc_text, utcnow
from conversations import mail
from conversations.reply import BotReply
from routing import assignment, queue, service_level
from routing.policy import Router
from touchpoints import conversations, log
from touchpoints.models import Conversation, IdempotencyKey, Message
from touchpoints.redaction import KINDS, redact
from touchpoints.status import ConversationStatus

logger = logging.getLogger(__name__)

BOT_DOWN_NOTICE = (
    "Our assistant is having trouble right now, so I've passed your message to our team. "
    "A person will reply here as soon as they can."
)


class BotUnavailable(RuntimeError):
    """The bot did not answer; the turn keeps the message and routes it to a person."""


class Bot(Protocol):
    """The dialogue engine behind the turn (Rasa, through web.rasa_client)."""

    def reply(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """The bot's messages for this text, each ``{"text", "buttons", "custom"}``; raises
        BotUnavailable when the bot cannot be reached."""
        ...


class Locks(Protocol):
    def hold(self, key: str) -> AbstractContextManager[object]: ...


class KeyReused(ValueError):
    """An Idempotency-Key sent again with another message: a client bug, answered 422."""


class ConversationClosed(RuntimeError):
    """A new message for a closed conversation: answered 409, nothing stored."""


BOT_ERROR_APOLOGY = (
    "Sorry, something went wrong on our side and I couldn't answer that. "
    "You can ask again in a moment, or talk to a person."
)
HUMAN_PAYLOAD = "/request_human"
HUMAN_BUTTON = {"title": "Talk to a person", "payload": HUMAN_PAYLOAD}
KEEP_BOT_PAYLOAD = "/keep_bot"
LEFT_QUEUE_REPLY = "OK, I've taken you out of the queue. I'm still here: what would you like to know?"


@dataclass
class TurnResult:
    messages: list[dict[str, Any]] = field(default_factory=list)
    status: str = ConversationStatus.BOT
    replayed: bool = False  # a repeat of a request already processed (same Idempotency-Key)


class ChatService:
    """Owns conversations: while a person holds one, customer messages never reach Rasa."""

    def __init__(self, rasa: Bot, router: Router, locks: Locks, redact_kinds: tuple[str, ...] = KINDS,
                 actions_down: Callable[[], bool] | None = None) -> None:
        self.rasa = rasa
        # Asked only after a turn that got no reply: is the action server down, or did one action fail?
        self.actions_down = actions_down
        self.router = router
        self.redact_kinds = redact_kinds
        # One turn at a time per conversation (across workers in production) keeps the
        # transcript in the order it was sent.
        self.locks = locks

    def customer_turn(self, conversation: Conversation, text: str, idempotency_key: str | None = None) -> TurnResult:
        with self.locks.hold(f"turn:{conversation.id}"):
            try:
                with session_scope() as session:  # one transaction: the replay check, then the message
                    if idempotency_key and (done := self._replayed(session, conversation.id, idempotency_key, text)):
                        return done
                    stored = self._store_customer_message(session, conversation.id, text, idempotency_key)
            except IntegrityError:
                # Another web worker stored the same keyed request a moment ago.
                if idempotency_key and (done := self.replay(conversation.id, idempotency_key, text)):
                    return done
                raise
            if isinstance(stored, TurnResult):
                return stored
            status, masked = stored
            if status != ConversationStatus.BOT:
                return TurnResult([], status)
            try:
                replies = self.rasa.reply(conversation.id, masked)
            except BotUnavailable as error:
                logger.error("%s", error)
                return self._bot_down(conversation.id)
            if not any(r["text"] or r["custom"].get("handoff") for r in replies):
                # Rasa answered but said nothing: a custom action failed (Rasa logs it and goes on).
                return self._bot_failed(conversation.id, masked)
            return self._store_replies(conversation.id, replies)

    def _store_customer_message(
        self, session: Session, conversation_id: str, text: str, idempotency_key: str | None
    ) -> TurnResult | tuple[str, str]:
        """Store the message (and its key, in the same transaction); a waiting customer's e-mail
        address is answered here. Returns the conversation status and the masked text."""
        status = _status(session, conversation_id)
        if status == ConversationStatus.CLOSED:  # read under the turn lock, after any replay
            return _rating_after_close(session, session.get_one(Conversation, conversation_id), text, idempotency_key)
        # Masked before it is stored or reaches Rasa's tracker store; an address a waiting
        # customer leaves for a follow-up is still read from what they typed.
        masked = redact(text, self.redact_kinds)
        # A button click is kept as the words on the button; Rasa still gets the payload.
        title = _button_title(session, conversation_id, masked)
        message = conversations.append(session, conversation_id, "customer", title or masked,
                                       {"payload": masked} if title else None)
        if idempotency_key:
            session.add(IdempotencyKey(conversation_id=conversation_id, key=idempotency_key, message_seq=message.seq))
            session.flush()
        if status == ConversationStatus.QUEUED and masked == KEEP_BOT_PAYLOAD:
            return self._leave_queue(session, session.get_one(Conversation, conversation_id))
        email = service_level.find_email(text) if status == ConversationStatus.QUEUED else None
        if email:
            # Waiting customers were told they can leave an address instead of waiting.
            _, ack = mail.leave_follow_up(session, conversation_id, email)  # and the acknowledgement e-mail
            return TurnResult([public_message(ack)], status)
        return status, masked

    def _leave_queue(self, session: Session, conversation: Conversation) -> TurnResult:
        """"Keep chatting with the bot" while queued: the escalation is withdrawn, the place freed."""
        escalation = queue.open_escalation(session, conversation.id)
        if escalation is None or not queue.is_waiting(escalation):  # a person has it already
            return TurnResult([], conversation.status)
        queue.withdraw(session, escalation.id)  # the conversation is the bot's again
        reply = conversations.append(session, conversation.id, "bot", LEFT_QUEUE_REPLY)
        return TurnResult([public_message(reply)], conversation.status)

    def replay(self, conversation_id: str, idempotency_key: str, text: str) -> TurnResult | None:
        """The answer to a request already processed: the replies stored after its message."""
        with session_scope() as session:
            return self._replayed(session, conversation_id, idempotency_key, text)

    def _replayed(self, session: Session, conversation_id: str, idempotency_key: str, text: str) -> TurnResult | None:
        seen = session.get(IdempotencyKey, (conversation_id, idempotency_key))
        if seen is None:
            return None
        original, *after = conversations.transcript(session, conversation_id, after=seen.message_seq - 1)
        if (original.payload or {}).get("payload", original.text) != redact(text, self.redact_kinds):
            raise KeyReused("This Idempotency-Key was used for a different message; use a new key per message.")
        replies = []
        for message in after:
            if message.sender == "customer":
                break
            replies.append(public_message(message))
        return TurnResult(replies, session.get_one(Conversation, conversation_id).status, replayed=True)

    def _store_replies(self, conversation_id: str, replies: list[dict[str, Any]]) -> TurnResult:
        out: list[dict[str, Any]] = []
        with session_scope() as session:
            current = None  # the ORM object only when a handoff needs it: loading it was a third of this call
            for reply in replies:
                bot = BotReply.read(reply["custom"])
                payload = {
                    "sources": [source.model_dump(mode="json") for source in bot.sources],
                    "buttons": reply["buttons"],
                    "decision": bot.decision.model_dump(mode="json", exclude_none=True) if bot.decision else None,
                    "details": bot.details,
                }
                if reply["text"]:
                    stored = conversations.append(session, conversation_id, "bot", reply["text"], payload)
                    out.append(public_message(stored))
                if bot.handoff is not None:
                    handoff = bot.handoff
                    current = current or session.get_one(Conversation, conversation_id)
                    self._escalate(session, current, handoff.reasons, handoff.team, handoff.priority, handoff.evidence)
            return TurnResult(out, current.status if current is not None else _status(session, conversation_id))

    def _bot_down(self, conversation_id: str) -> TurnResult:
        with session_scope() as session:
            current = session.get_one(Conversation, conversation_id)
            notice = conversations.append(session, conversation_id, "bot", BOT_DOWN_NOTICE,
                                          {"notice": "bot_unavailable"})
            self._escalate(session, current, ["bot_unavailable"], None, None, {})
            return TurnResult([public_message(notice)], current.status)

    def _bot_failed(self, conversation_id: str, text: str) -> TurnResult:
        """Apologise and offer a person; if the customer just asked for one, hand over directly
        (the bot's own handoff is an action, which is what failed)."""
        down = self.actions_down is not None and self.actions_down()
        cause = "action_server_down" if down else "no_reply"
        logger.error("The bot gave no reply in %s (%s)", conversation_id, cause)
        with session_scope() as session:
            current = session.get_one(Conversation, conversation_id)
            log.record(session, conversation_id, "bot_failure", cause=cause)
            if text == HUMAN_PAYLOAD:
                reply = conversations.append(session, conversation_id, "bot", BOT_DOWN_NOTICE,
                                             {"notice": "bot_unavailable"})
                self._escalate(session, current, ["bot_unavailable"], None, None, {"cause": cause})
            else:
                reply = conversations.append(session, conversation_id, "bot", BOT_ERROR_APOLOGY,
                                             {"notice": "bot_error", "buttons": [HUMAN_BUTTON]})
            return TurnResult([public_message(reply)], current.status)

    def _escalate(self, session: Session, conversation: Conversation, reasons: list[str], team: str | None,
                  priority: int | None, evidence: dict[str, Any] | None) -> None:
        priority = priority or self.router.priority(reasons)
        escalation = queue.enqueue(
            session,
            conversation.id,
            reasons=reasons,
            team=team or self.router.config.default_team,
            priority=priority,
            sla_minutes=self.router.sla_minutes(priority),
            sla_start=service_level.sla_clock_start(self.router.config.business_hours, utcnow()),
        )
        log.record(session, conversation.id, "escalated", escalation_id=escalation.id,
                   reasons=reasons, evidence=evidence or {})
        # A team that assigns automatically gives it to an online agent with room at once.
        assignment.fill(session, self.router.config.assignment, escalation.team, utcnow())


_STATUS = select(Conversation.status).where(Conversation.id == bindparam("conversation_id"))


def _status(session: Session, conversation_id: str) -> str:
    """The conversation's status, read on every turn without loading the whole row."""
    status: str = session.execute(_STATUS, {"conversation_id": conversation_id}).scalar_one()
    return status


RATING_PAYLOAD = re.compile(r'/rate\{"rating": ?"([1-5])"\}')


def _rating_after_close(session: Session, conversation: Conversation, text: str,
                        idempotency_key: str | None) -> TurnResult:
    """A closed conversation takes exactly one message: the answer to the rating prompt an agent's
    close left, once. Anything else is refused (409) and nothing is stored."""
    match = RATING_PAYLOAD.fullmatch(text.strip())
    last = log.last_event(session, conversation.id, "resolved", "rating")
    prompted = last is not None and last.kind == "resolved" and not (last.data or {}).get("return_to_bot", True)
    if match is None or not prompted:
        raise ConversationClosed("This conversation is closed; start a new one to keep chatting.")
    score = int(match.group(1))
    message = conversations.append(session, conversation.id, "customer",
                                   _button_title(session, conversation.id, text.strip()) or str(score),
                                   {"payload": text})
    if idempotency_key:
        session.add(IdempotencyKey(conversation_id=conversation.id, key=idempotency_key, message_seq=message.seq))
    log.record(session, conversation.id, "rating", score=score, source="agent_close")
    thanks = conversations.append(session, conversation.id, "bot", f"Thank you for rating us {score} out of 5.")
    return TurnResult([public_message(thanks)], conversation.status)


def _button_title(session: Session, conversation_id: str, text: str) -> str | None:
    """The title of the button whose payload the customer sent, from the bot's latest buttons."""
    if not text.startswith("/"):
        return None
    recent = session.scalars(select(Message).where(Message.conversation_id == conversation_id, Message.sender == "bot")
                             .order_by(Message.seq.desc()).limit(20))
    for message in recent:
        for button in (message.payload or {}).get("buttons") or []:
            if button.get("payload") == text:
                return button.get("title") or None
    return KNOWN_TITLES.get(text)


# Payloads the widget offers on its own (the header's "Talk to a person") or that outlive their message.
KNOWN_TITLES = {HUMAN_PAYLOAD: "Talk to a person", KEEP_BOT_PAYLOAD: "Keep chatting with the bot",
                "/check_fit": "Help me choose a plan"}


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {"sources": payload.get("sources", []), "buttons": payload.get("buttons", []),
            "details": payload.get("details") or {}}


def public_message(message: Message) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "created_at": utc_text(message.created_at),
        **_public(message.payload or {}),
        # An agent's name as customers see it ("Sam (Support)"), fixed when the message was sent.
        "sender_name": (message.payload or {}).get("agent_name") if message.sender == "agent" else None,
    }

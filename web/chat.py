"""A customer's turn: store it, let the bot or the person holding it answer, store the reply."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakValueDictionary

from candor.db import session_scope, utcnow
from routing import queue, service_level
from routing.policy import Router
from touchpoints import conversations, log
from touchpoints.models import Conversation
from touchpoints.redaction import KINDS, redact
from web.rasa_client import RasaClient, RasaUnavailable, merge_replies

logger = logging.getLogger(__name__)

BOT_DOWN_NOTICE = (
    "Our assistant is having trouble right now, so I've passed your message to our team. "
    "A person will reply here as soon as they can."
)


@dataclass
class TurnResult:
    messages: list[dict[str, Any]] = field(default_factory=list)
    status: str = "bot"


class ChatService:
    """Owns conversations: while a person holds one, customer messages never reach Rasa."""

    def __init__(self, rasa: RasaClient, router: Router, redact_kinds: tuple[str, ...] = KINDS) -> None:
        self.rasa = rasa
        self.router = router
        self.redact_kinds = redact_kinds
        # One turn at a time per conversation keeps the transcript in the order it was sent.
        self._locks: WeakValueDictionary[str, threading.Lock] = WeakValueDictionary()
        self._locks_guard = threading.Lock()

    def _lock(self, conversation_id: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(conversation_id)
            if lock is None:
                lock = threading.Lock()
                self._locks[conversation_id] = lock
            return lock

    def customer_turn(self, conversation: Conversation, text: str) -> TurnResult:
        lock = self._lock(conversation.id)
        with lock:
            with session_scope() as session:
                current = session.get(Conversation, conversation.id)
                # Masked before it is stored or reaches Rasa's tracker store; an address a waiting
                # customer leaves for a follow-up is still read from what they typed.
                masked = redact(text, self.redact_kinds)
                conversations.append(session, current.id, "customer", masked)
                status = current.status
                email = service_level.find_email(text) if status == "queued" else None
                if email:
                    # Waiting customers were told they can leave an address instead of waiting.
                    _, ack = service_level.leave_follow_up(session, current.id, email)
                    return TurnResult([public_message(ack)], status)
            if status != "bot":
                return TurnResult([], status)
            try:
                replies = merge_replies(self.rasa.send(conversation.id, masked))
            except RasaUnavailable as error:
                logger.error("%s", error)
                return self._bot_down(conversation.id)
            return self._store_replies(conversation.id, replies)

    def _store_replies(self, conversation_id: str, replies: list[dict[str, Any]]) -> TurnResult:
        out: list[dict[str, Any]] = []
        with session_scope() as session:
            current = session.get(Conversation, conversation_id)
            for reply in replies:
                custom = reply["custom"]
                payload = {
                    "sources": custom.get("sources", []),
                    "buttons": reply["buttons"],
                    "decision": custom.get("decision"),
                }
                if reply["text"]:
                    stored = conversations.append(session, conversation_id, "bot", reply["text"], payload)
                    out.append(public_message(stored))
                handoff = custom.get("handoff")
                if handoff:
                    self._escalate(session, current, handoff["reasons"], handoff.get("team"),
                                   handoff.get("priority"), handoff.get("evidence"))
            return TurnResult(out, current.status)

    def _bot_down(self, conversation_id: str) -> TurnResult:
        with session_scope() as session:
            current = session.get(Conversation, conversation_id)
            notice = conversations.append(session, conversation_id, "bot", BOT_DOWN_NOTICE,
                                          {"notice": "bot_unavailable"})
            self._escalate(session, current, ["bot_unavailable"], None, None, {})
            return TurnResult([public_message(notice)], current.status)

    def _escalate(self, session, conversation, reasons, team, priority, evidence) -> None:  # noqa: ANN001
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
        if conversation.status == "bot":
            conversation.status = "queued"
        log.record(session, conversation.id, "escalated", escalation_id=escalation.id,
                   reasons=reasons, evidence=evidence or {})


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {"sources": payload.get("sources", []), "buttons": payload.get("buttons", [])}


def public_message(message) -> dict[str, Any]:  # noqa: ANN001
    return {
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "created_at": message.created_at.isoformat() + "Z",
        **_public(message.payload or {}),
    }

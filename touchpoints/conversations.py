"""Conversations and their transcripts: every message stored before anything acts on it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from touchpoints import live, search_index
from touchpoints.models import Conversation, Message

live.watch(Conversation, lambda conversation: (conversation.id,))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, attributes: dict[str, Any] | None = None) -> tuple[Conversation, str]:
    token = secrets.token_urlsafe(24)
    conversation = Conversation(id=str(uuid.uuid4()), token_hash=_hash(token), attributes=attributes or {})
    session.add(conversation)
    session.flush()
    return conversation, token


def authorize(session: Session, conversation_id: str, token: str) -> Conversation | None:
    """The conversation, only when the token matches; unknown id and wrong token look alike."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not hmac.compare_digest(conversation.token_hash, _hash(token)):
        return None
    return conversation


def append(
    session: Session, conversation_id: str, sender: str, text: str, payload: dict[str, Any] | None = None
) -> Message:
    """Add the next message. The customer, an agent and the SLA watcher can write to one
    conversation at the same moment; each must get its own ``seq`` and none may be lost.

    PostgreSQL: the conversation row is locked first, so appends to it queue up (SQLite
    leaves out FOR UPDATE; there the single INSERT below takes the database write lock)."""
    session.execute(select(Conversation.id).where(Conversation.id == conversation_id).with_for_update())
    live.touched(session, conversation_id)  # a Core insert: the flush hook does not see it
    message = _insert(session, conversation_id, sender, text, payload)
    search_index.add(session, conversation_id, message.id, message.text)  # searchable once committed
    return message


def _insert(session: Session, conversation_id: str, sender: str, text: str, payload: dict[str, Any] | None) -> Message:
    params = {"conversation_id": conversation_id, "sender": sender, "text": text, "payload": payload or {}}
    return session.scalars(_INSERT_MESSAGE, params).one()


# One statement reads the last seq and writes the next, so SQLite takes its write lock before
# reading (a separate SELECT first would hold a snapshot another writer can outdate). RETURNING the
# whole row: reading it back by id was a second query per message. Built once with bound parameters:
# rebuilt per call, its cache key was a sixth of a stored message's CPU.
_INSERT_MESSAGE = (
    insert(Message)
    .values(conversation_id=bindparam("conversation_id"),
            seq=select(func.coalesce(func.max(Message.seq), 0) + 1)
            .where(Message.conversation_id == bindparam("conversation_id")).scalar_subquery(),
            sender=bindparam("sender"), text=bindparam("text"),
            payload=bindparam("payload", type_=Message.__table__.c.payload.type))
    .returning(Message)
)


def transcript(session: Session, conversation_id: str, after: int = 0) -> list[Message]:
    """The conversation's messages in order; ``after`` skips those up to that sequence number."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.seq > after)
            .order_by(Message.seq)
        )
    )

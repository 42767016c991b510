"""Conversations and their transcripts: every message stored before anything acts on it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchpoints.models import Conversation, Message


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
    seq = (
        session.scalar(select(func.max(Message.seq)).where(Message.conversation_id == conversation_id))
        or 0
    ) + 1
    message = Message(conversation_id=conversation_id, seq=seq, sender=sender, text=text, payload=payload or {})
    session.add(message)
    session.flush()
    return message


def transcript(session: Session, conversation_id: str) -> list[Message]:
    return list(
        session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
    )

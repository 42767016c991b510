"""The conversation's state machine: who answers the customer now.

Every status change of a conversation goes through ``move``; nothing else assigns or compares
raw status strings. The values are the strings the public API has always sent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

import sqlalchemy as sa


class ConversationStatus(StrEnum):
    BOT = "bot"          # the assistant answers
    QUEUED = "queued"    # waiting for a person (the assistant still answers meanwhile)
    AGENT = "agent"      # a person holds it: customer messages never reach the bot
    CLOSED = "closed"    # over: a new message needs a new conversation


class EscalationStatus(StrEnum):
    """An escalation's status; its moves are checked in routing/lifecycle.py."""

    QUEUED = "queued"    # waiting for a person
    CLAIMED = "claimed"  # held by one agent
    CLOSED = "closed"    # resolved by an agent, or withdrawn by the customer


class IllegalTransition(ValueError):
    """A status change the entity's state machine does not allow."""


# From each status, the statuses it may move to. An agent hands back to the bot or closes;
# unclaiming, a transfer or the agent going offline puts the conversation back in the queue.
CONVERSATION_MOVES: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    ConversationStatus.BOT: frozenset({ConversationStatus.QUEUED, ConversationStatus.CLOSED}),
    ConversationStatus.QUEUED: frozenset({ConversationStatus.BOT, ConversationStatus.AGENT,
                                          ConversationStatus.CLOSED}),
    ConversationStatus.AGENT: frozenset({ConversationStatus.QUEUED, ConversationStatus.BOT,
                                         ConversationStatus.CLOSED}),
    ConversationStatus.CLOSED: frozenset(),
}


class HasStatus(Protocol):
    id: str
    status: ConversationStatus


def move(conversation: HasStatus, new: ConversationStatus) -> ConversationStatus:
    """Set the conversation's status, or raise ``IllegalTransition``; returns the old status."""
    old = ConversationStatus(conversation.status)
    if new not in CONVERSATION_MOVES[old]:
        raise IllegalTransition(f"Conversation {conversation.id} is {old}; it cannot become {new}.")
    conversation.status = new
    return old


def status_column_type(enum: type[StrEnum]) -> sa.Enum:
    """A VARCHAR holding the enum's values (not its names), read back as enum members. The
    allowed values are enforced in the database by the migration that adds the constraint."""
    return sa.Enum(enum, native_enum=False, create_constraint=False, length=20, validate_strings=True,
                   values_callable=lambda members: [m.value for m in members])

"""Conversations, every message in them, and the events a touchpoint is scored from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from candor.db import Base, utcnow
from touchpoints import customer_models  # noqa: F401  (the customers/visitors tables referenced below)
from touchpoints.status import ConversationStatus, status_column_type


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[ConversationStatus] = mapped_column(
        status_column_type(ConversationStatus), default=ConversationStatus.BOT, index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The customer this conversation belongs to (see conversations.customers) and the browser it came from.
    customer_id: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("customers.id", ondelete="SET NULL"), nullable=True, index=True)
    visitor_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("visitors.id", ondelete="SET NULL"), nullable=True, index=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    # Sources, buttons and the bot's decision details travel with the message they explain.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Something that happened in a conversation: an answer, a decision, a click, a rating."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Touchpoint(Base):
    """One scored touchpoint per conversation, recomputed whenever the conversation changes."""

    __tablename__ = "touchpoints"
    # The list pages newest first by (start, id): one index range per page, however deep.
    __table_args__ = (Index("ix_touchpoints_started_at_conversation_id", "started_at", "conversation_id"),)

    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(20), index=True)
    resolution: Mapped[str] = mapped_column(String(30), index=True)
    sentiment_avg: Mapped[float | None] = mapped_column(nullable=True)
    sentiment_trend: Mapped[float | None] = mapped_column(nullable=True)
    sentiments: Mapped[list[float]] = mapped_column(JSON, default=list)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    rephrasings: Mapped[int] = mapped_column(Integer, default=0)
    time_to_resolution_s: Mapped[float | None] = mapped_column(nullable=True)
    queue_wait_s: Mapped[float | None] = mapped_column(nullable=True)
    satisfaction: Mapped[float] = mapped_column()
    satisfaction_predicted: Mapped[bool] = mapped_column(default=True)
    experience_score: Mapped[int] = mapped_column(Integer, index=True)
    escalated: Mapped[bool] = mapped_column(default=False)
    # Display copy; analytics group on the typed rows of TouchpointReason.
    escalation_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    articles: Mapped[list[str]] = mapped_column(JSON, default=list)
    formula_version: Mapped[int] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column()
    last_activity_at: Mapped[datetime] = mapped_column()
    # The newest message and event the scores saw: anything newer means "score again".
    seen_message_id: Mapped[int] = mapped_column(Integer, default=0)
    seen_event_id: Mapped[int] = mapped_column(Integer, default=0)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """A customer message sent with an ``Idempotency-Key``, stored in the same transaction as the
    message: a repeat of the request is answered from the transcript after ``message_seq``."""

    __tablename__ = "idempotency_keys"

    conversation_id: Mapped[str] = mapped_column(String(36), ForeignKey("conversations.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TouchpointDirty(Base):
    """A conversation whose touchpoint is behind: written by a database trigger in the transaction
    that inserts its message or event; the scorer deletes it (if not marked again meanwhile)."""

    __tablename__ = "touchpoint_dirty"

    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    marked_at: Mapped[datetime] = mapped_column()


class TouchpointForgotten(Base):
    """The start of a deleted touchpoint (a trigger writes it): that day's rollups are recounted."""

    __tablename__ = "touchpoint_forgotten"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column()


class TouchpointReason(Base):
    __tablename__ = "touchpoint_reasons"

    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("touchpoints.conversation_id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ArticleUse(Base):
    """One answer from an article, or a click on it, or an escalation after it, when it happened."""

    __tablename__ = "article_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful: Mapped[int] = mapped_column(Integer, default=0)
    escalations_after: Mapped[int] = mapped_column(Integer, default=0)


class AgentClaim(Base):
    """One claimed escalation as agent workload reads it, first reply time included."""

    __tablename__ = "agent_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    agent: Mapped[str] = mapped_column(String(120))
    claimed_at: Mapped[datetime] = mapped_column(index=True)
    first_reply_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    first_response_s: Mapped[float | None] = mapped_column(nullable=True)
    handle_s: Mapped[float | None] = mapped_column(nullable=True)


class TouchpointDaily(Base):
    """Touchpoints started on a day, counted per stage × outcome (kept by the scorer)."""

    __tablename__ = "touchpoint_daily"

    day: Mapped[date] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    resolution: Mapped[str] = mapped_column(String(30), primary_key=True)
    escalated: Mapped[bool] = mapped_column(primary_key=True)
    satisfaction_predicted: Mapped[bool] = mapped_column(primary_key=True)
    conversations: Mapped[int] = mapped_column(Integer)
    satisfaction_sum: Mapped[float] = mapped_column()
    experience_sum: Mapped[float] = mapped_column()


class TouchpointReasonDaily(Base):
    __tablename__ = "touchpoint_reason_daily"

    day: Mapped[date] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversations: Mapped[int] = mapped_column(Integer)


class ArticleDaily(Base):
    __tablename__ = "article_daily"

    day: Mapped[date] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    used: Mapped[int] = mapped_column(Integer)
    helpful: Mapped[int] = mapped_column(Integer)
    unhelpful: Mapped[int] = mapped_column(Integer)
    escalations_after: Mapped[int] = mapped_column(Integer)


class RollupDay(Base):
    """One row per day with rollups: locked while that day is recounted, so two scorers take turns."""

    __tablename__ = "rollup_days"

    day: Mapped[date] = mapped_column(primary_key=True)

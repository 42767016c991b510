"""Escalations: a conversation waiting for, or held by, a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from candor.db import Base, utcnow
from routing.lifecycle import EscalationStatus
from touchpoints.status import status_column_type


class Escalation(Base):
    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[EscalationStatus] = mapped_column(
        status_column_type(EscalationStatus), default=EscalationStatus.QUEUED, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    team: Mapped[str] = mapped_column(String(40), default="general")
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sla_due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The held escalation's first agent reply, written with it (routing.workload): agent workload
    # groups these rows in SQL.
    first_reply_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Set when the customer was told nobody claimed it in time (and offered an e-mail follow-up).
    sla_breached_at: Mapped[datetime | None] = mapped_column(nullable=True)


class FollowUp(Base):
    """A promise to answer by e-mail: left by a customer who could not wait for a person."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), nullable=True)
    email: Mapped[str] = mapped_column(String(254))
    # How the customer wants to be addressed, when they said (canned responses' {customer_name}).
    name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(String(40), default="general")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)


class EscalationNote(Base):
    """An internal note on an escalation: for colleagues, never shown to the customer."""

    __tablename__ = "escalation_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CannedResponse(Base):
    """A standardized reply agents insert into a message and adapt before sending."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(String(40), nullable=True)  # None: every team
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

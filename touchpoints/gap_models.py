"""The stored content gaps: each unanswered question embedded once, and the groups they form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from candor.db import Base, utcnow


class ContentGap(Base):
    """A need the knowledge base does not meet. ``vector_sum`` / ``members`` is the mean of its
    questions' vectors: a question's average-linkage distance to the group is 1 - v · mean."""

    __tablename__ = "content_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vector_sum: Mapped[bytes] = mapped_column(LargeBinary)   # float32 × 384
    members: Mapped[int] = mapped_column(Integer, default=0)
    # The member closest to the mean; no foreign key (the two tables would refer to each other):
    # an erased question leaves a dangling id, which the next job pass replaces.
    representative_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    closed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)   # the article that answers it
    checked_revision: Mapped[int] = mapped_column(Integer, default=0)   # knowledge revision last searched


class GapQuestion(Base):
    """A question the bot did not answer, from the event that recorded it; erased with its conversation."""

    __tablename__ = "gap_questions"
    __table_args__ = (Index("ix_gap_questions_gap_created", "gap_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(Integer, unique=True)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)   # None: not embedded yet
    gap_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("content_gaps.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(index=True)


class GapProgress(Base):
    """One row: the newest event the gap job has read, and new questions since the last re-clustering."""

    __tablename__ = "gap_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, default=0)
    since_recluster: Mapped[int] = mapped_column(Integer, default=0)

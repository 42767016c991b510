"""Articles of the transparency knowledge base, with every edit kept as a version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from candor.db import Base, utcnow

KINDS = ("cost", "tradeoff", "fit", "policy", "howto")


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    product: Mapped[str | None] = mapped_column(String(80), nullable=True)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Fit articles: {"good_for": [...], "poor_for": [...]}; cost articles: [{"item", "amount", "note"}].
    fit: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    cost_breakdown: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # Unpublished edits of a published article: the live fields keep answering customers until
    # an editor publishes (Zendesk and Intercom work the same way).
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ArticleVersion(Base):
    """A full snapshot of an article after one edit; restoring copies a snapshot forward."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str | None] = mapped_column(String(120), nullable=True)
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KbRevision(Base):
    """One row whose counter moves on every article write, so searchers see changes cheaply."""

    __tablename__ = "kb_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)

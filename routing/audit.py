"""The audit log: who did what among the staff actions that matter afterwards.

Erasures, publishing, and changes to staff accounts and roles are recorded in the same transaction
as the change itself, so an action that happened is never missing from the log (and one rolled
back is never in it). Entries name the subject, never the customer's data: an erasure records how
many conversations went, not whose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.db import Base, utcnow

# What each action code means, for the page that shows the log.
ACTIONS = {
    "user.added": "added a staff account",
    "user.changed": "changed a staff account",
    "user.disabled": "disabled a staff account",
    "user.enabled": "enabled a staff account",
    "user.password_reset": "reset a password",
    "article.published": "published an article",
    "customer.erased": "erased a customer's data",
    "webhook.added": "added a webhook endpoint",
    "webhook.changed": "changed a webhook endpoint",
    "webhook.deleted": "deleted a webhook endpoint",
    "webhook.secret_rotated": "rotated a webhook endpoint's secret",
}


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(session: Session, actor: str, action: str, subject: str, **details: Any) -> AuditEntry:
    """Adds an entry to the caller's transaction; ``action`` must be one of ``ACTIONS``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(actor=actor, action=action, subject=subject[:200], details=details)
    session.add(entry)
    return entry


def recent(session: Session, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
    """Newest first; ``before_id`` pages back through older entries."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))

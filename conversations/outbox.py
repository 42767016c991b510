"""Outbound e-mail as rows in the database: queued in the transaction that causes the mail, sent
later by whichever web worker claims the row, retried with backoff, never deleted for failing
(the claim, lease and backoff are candor.retry_queue's, shared with the outbound webhooks).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.db import Base, utcnow
from candor.retry_queue import Retrying, RetryQueue

MailStatus = Literal["queued", "sent", "failed"]
MailKind = Literal["follow_up_ack", "follow_up_reply", "transcript"]

LEASE = timedelta(minutes=2)  # longer than one SMTP exchange may take (mail.SMTP_TIMEOUT_S, twice)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# Transient failures are retried for about a day (30 s doubling to hourly); then a person looks.
MAX_ATTEMPTS = 30
# A queued mail this old has waited too long: /healthz warns even before it fails for good.
OVERDUE = timedelta(minutes=15)


class OutboundMail(Retrying, Base):
    __tablename__ = "outbound_mail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    # Erasing a conversation erases the mails about it (the address and the words in them).
    conversation_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True, nullable=True
    )
    follow_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="SET NULL"), index=True, nullable=True
    )


QUEUE = RetryQueue(OutboundMail, LEASE, FIRST_RETRY, LONGEST_RETRY, MAX_ATTEMPTS)


def enqueue(
    session: Session, to: str, subject: str, text: str, html: str, kind: MailKind,
    conversation_id: str | None = None, follow_up_id: int | None = None,
) -> OutboundMail:
    """Queue a mail in the caller's transaction: it exists exactly when what caused it does."""
    mail = OutboundMail(to_address=to, subject=subject, text=text, html=html, kind=kind,
                        conversation_id=conversation_id, follow_up_id=follow_up_id,
                        status="queued", attempts=0, next_attempt_at=utcnow())
    session.add(mail)
    session.flush()
    return mail


def due_ids(session: Session, now: datetime, limit: int = 20) -> list[int]:
    return QUEUE.due_ids(session, now, limit)


def claim(session: Session, mail_id: int, now: datetime) -> OutboundMail | None:
    """Take one due mail for sending; None when another worker took it first or it is not due."""
    return QUEUE.claim(session, mail_id, now)


def backoff(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most an hour."""
    return QUEUE.backoff(attempts)


def mark_sent(session: Session, mail: OutboundMail, now: datetime) -> None:
    QUEUE.mark_sent(mail, now)


def mark_failed(session: Session, mail: OutboundMail, now: datetime, error: str, permanent: bool) -> None:
    """Retry later, or (the server refused for good, or a day of tries) stop and show it to staff."""
    QUEUE.mark_failed(mail, now, error, permanent)


def retry(session: Session, mail_id: int, now: datetime) -> OutboundMail | None:
    """An admin sends a failed (or waiting) mail again now, e.g. after fixing the address or the relay."""
    return QUEUE.retry(session, mail_id, now)


def health(session: Session, now: datetime, enabled: bool) -> dict[str, Any]:
    """Counts for /healthz: a warning (mail is late or failed), never an outage of the chat."""
    counts = QUEUE.counts(session, now, OVERDUE)
    queued, overdue, failed = counts["queued"], counts["overdue"], counts["failed"]
    result: dict[str, Any] = {"ok": True, "enabled": enabled, "queued": queued, "overdue": overdue, "failed": failed}
    problems = []
    if failed:
        problems.append(f"{failed} e-mails failed for good; an admin can see and resend them at /api/outbox")
    if queued and not enabled:
        problems.append(f"{queued} e-mails held: no SMTP server is configured (CANDOR_SMTP_HOST)")
    elif overdue:
        problems.append(f"{overdue} e-mails waiting longer than {OVERDUE.seconds // 60} minutes; retried with backoff")
    if problems:
        result.update(ok=False, detail="; ".join(problems))
    return result


def listing(session: Session, status: str | None = None, follow_up_id: int | None = None,
            limit: int = 200) -> list[OutboundMail]:
    query = select(OutboundMail).order_by(OutboundMail.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboundMail.status == status)
    if follow_up_id is not None:
        query = query.where(OutboundMail.follow_up_id == follow_up_id)
    return list(session.scalars(query))

"""Outbound e-mail as rows in the database: queued in the transaction that causes the mail, sent
later by whichever web worker claims the row, retried with backoff, never deleted for failing.

A claim is a conditional UPDATE (the row is still due and nobody has counted this attempt yet):
with several web workers polling at once exactly one wins. It leases the row by pushing
``next_attempt_at`` into the future, so a worker that dies mid-send leaves the mail due again
after the lease instead of stuck in a "sending" state.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.db import Base, rowcount, utcnow

MailStatus = Literal["queued", "sent", "failed"]
MailKind = Literal["follow_up_ack", "follow_up_reply", "transcript"]

LEASE = timedelta(minutes=2)  # longer than one SMTP exchange may take (mail.SMTP_TIMEOUT_S, twice)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# Transient failures are retried for about a day (30 s doubling to hourly); then a person looks.
MAX_ATTEMPTS = 30
# A queued mail this old has waited too long: /healthz warns even before it fails for good.
OVERDUE = timedelta(minutes=15)


class OutboundMail(Base):
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
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


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
    return list(session.scalars(
        select(OutboundMail.id).where(OutboundMail.status == "queued", OutboundMail.next_attempt_at <= now)
        .order_by(OutboundMail.next_attempt_at, OutboundMail.id).limit(limit)
    ))


def claim(session: Session, mail_id: int, now: datetime) -> OutboundMail | None:
    """Take one due mail for sending (counts the attempt, leases the row); None when another
    worker took it first or it is no longer due."""
    current = session.get(OutboundMail, mail_id, populate_existing=True)
    if current is None or current.status != "queued" or current.next_attempt_at > now:
        return None
    taken = rowcount(session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == mail_id, OutboundMail.status == "queued",
               OutboundMail.attempts == current.attempts, OutboundMail.next_attempt_at <= now)
        .values(attempts=current.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    ))
    if taken != 1:
        return None
    session.refresh(current)
    return current


def backoff(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** max(0, min(attempts - 1, 20))
    return min(delay, LONGEST_RETRY)


def mark_sent(session: Session, mail: OutboundMail, now: datetime) -> None:
    mail.status, mail.sent_at, mail.last_error = "sent", now, None


def mark_failed(session: Session, mail: OutboundMail, now: datetime, error: str, permanent: bool) -> None:
    """Retry later, or (the server refused for good, or a day of tries) stop and show it to staff."""
    mail.last_error = error[:1000]
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        mail.status = "failed"
    else:
        mail.next_attempt_at = now + backoff(mail.attempts)


def retry(session: Session, mail_id: int, now: datetime) -> OutboundMail | None:
    """An admin sends a failed (or waiting) mail again now, e.g. after fixing the address or the relay."""
    mail = session.get(OutboundMail, mail_id)
    if mail is None or mail.status == "sent":
        return mail
    mail.status, mail.next_attempt_at = "queued", now
    mail.attempts = min(mail.attempts, MAX_ATTEMPTS - 1)  # a failed one gets at least one more try
    return mail


def health(session: Session, now: datetime, enabled: bool) -> dict[str, Any]:
    """Counts for /healthz: a warning (mail is late or failed), never an outage of the chat."""
    counts = dict(session.execute(
        select(OutboundMail.status, func.count()).where(OutboundMail.status != "sent").group_by(OutboundMail.status)
    ).tuples().all())
    queued, failed = counts.get("queued", 0), counts.get("failed", 0)
    overdue = session.scalar(select(func.count()).where(
        OutboundMail.status == "queued", OutboundMail.created_at <= now - OVERDUE)) or 0
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

"""Rows that something sends later, retried with backoff: the outbound e-mail (conversations.outbox)
and the outbound webhooks (touchpoints.webhooks) share this queue discipline.

A row is queued in the transaction that causes it, so it exists exactly when its cause does. A
claim is a conditional UPDATE (the row is still due and nobody has counted this attempt yet):
with several web workers polling at once exactly one wins. It leases the row by pushing
``next_attempt_at`` into the future, so a worker that dies mid-send leaves the row due again
after the lease instead of stuck in a "sending" state. Failed rows are kept for staff to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, Protocol, TypeVar

from sqlalchemy import ColumnElement, Integer, String, Text, func, select, true, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.db import rowcount, utcnow

Status = Literal["queued", "sent", "failed"]


class Retrying:
    """The columns a queued row needs (a mixin for the model: each table gets its own copies)."""

    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Row(Protocol):
    id: Any
    status: Any
    attempts: Any
    next_attempt_at: Any
    last_error: Any
    created_at: Any
    sent_at: Any


R = TypeVar("R", bound=Row)


@dataclass(frozen=True)
class RetryQueue(Generic[R]):
    """One table's queue: how long a claim leases a row, how retries back off, when to give up."""

    model: type[R]
    lease: timedelta
    first_retry: timedelta
    longest_retry: timedelta
    max_attempts: int

    def due_ids(self, session: Session, now: datetime, limit: int = 20,
                where: ColumnElement[bool] | None = None) -> list[int]:
        """Ids of rows due now, oldest due first; ``where`` narrows them (e.g. endpoints enabled)."""
        m: Any = self.model
        return list(session.scalars(
            select(m.id).where(m.status == "queued", m.next_attempt_at <= now, true() if where is None else where)
            .order_by(m.next_attempt_at, m.id).limit(limit)
        ))

    def claim(self, session: Session, row_id: int, now: datetime) -> R | None:
        """Take one due row (counts the attempt, leases it); None when another worker took it
        first or it is no longer due."""
        m: Any = self.model
        current = session.get(self.model, row_id, populate_existing=True)
        if current is None or current.status != "queued" or current.next_attempt_at > now:
            return None
        taken = rowcount(session.execute(
            update(m)
            .where(m.id == row_id, m.status == "queued", m.attempts == current.attempts, m.next_attempt_at <= now)
            .values(attempts=current.attempts + 1, next_attempt_at=now + self.lease)
            .execution_options(synchronize_session=False)
        ))
        if taken != 1:
            return None
        session.refresh(current)
        return current

    def backoff(self, attempts: int) -> timedelta:
        """``first_retry`` after the first failed attempt, doubling, at most ``longest_retry``."""
        delay: timedelta = self.first_retry * 2 ** max(0, min(attempts - 1, 20))
        return min(delay, self.longest_retry)

    @staticmethod
    def mark_sent(row: R, now: datetime) -> None:
        row.status, row.sent_at, row.last_error = "sent", now, None

    def mark_failed(self, row: R, now: datetime, error: str, permanent: bool) -> None:
        """Retry later, or (refused for good, or out of attempts) stop and show it to staff."""
        row.last_error = error[:1000]
        if permanent or row.attempts >= self.max_attempts:
            row.status = "failed"
        else:
            row.next_attempt_at = now + self.backoff(row.attempts)

    def retry(self, session: Session, row_id: int, now: datetime) -> R | None:
        """An admin sends a failed (or waiting) row again now, e.g. after fixing the receiver."""
        row = session.get(self.model, row_id)
        if row is None or row.status == "sent":
            return row
        row.status, row.next_attempt_at = "queued", now
        row.attempts = min(row.attempts, self.max_attempts - 1)  # a failed one gets at least one more try
        return row

    def counts(self, session: Session, now: datetime, overdue_after: timedelta,
               where: ColumnElement[bool] | None = None) -> dict[str, int]:
        """queued, overdue (queued longer than ``overdue_after``) and failed rows, for /healthz."""
        m: Any = self.model
        narrow = true() if where is None else where
        by_status: dict[str, int] = dict(session.execute(
            select(m.status, func.count()).where(m.status != "sent", narrow).group_by(m.status)
        ).tuples().all())
        overdue = session.scalar(select(func.count()).select_from(m).where(
            m.status == "queued", m.created_at <= now - overdue_after, narrow)) or 0
        return {"queued": by_status.get("queued", 0), "overdue": overdue, "failed": by_status.get("failed", 0)}

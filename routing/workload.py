"""Agent workload from the escalation rows: per agent, escalations claimed in the dashboard's period,
how many are closed, the median first-response time (claim → first agent reply) and the median
handle time (claim → close). The first reply's time is kept on the escalation in the reply's own
transaction (``replied``), so a read is one grouped statement over one table: no transcript, no
id lists, whatever the number of conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from routing.lifecycle import EscalationStatus
from routing.models import Escalation

Query = Select[*tuple[Any, ...]]


def replied(session: Session, escalation_id: int, at: datetime) -> None:
    """An agent replied on this escalation at ``at``: the first reply while it is held is kept (a
    conditional UPDATE, so of two replies at once the first to commit stays)."""
    session.execute(update(Escalation).where(
        Escalation.id == escalation_id, Escalation.status == EscalationStatus.CLAIMED,
        Escalation.first_reply_at.is_(None)).values(first_reply_at=at))


def seconds_between(session: Session, later: Any, earlier: Any) -> Any:
    """later − earlier in seconds, in SQL (SQLite has no interval type)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400
    return func.extract("epoch", later - earlier)


def _claimed(query: Query, since: datetime | None, until: datetime | None) -> Query:
    query = query.where(Escalation.claimed_by.is_not(None), Escalation.claimed_at.is_not(None))
    if since:
        query = query.where(Escalation.claimed_at >= since)
    if until:
        query = query.where(Escalation.claimed_at < until)
    return query


def _ranked_median(value: Any, since: datetime | None, until: datetime | None) -> Query:
    """Per agent, the median of ``value`` (the middle one, or the mean of the middle two) by window
    functions, for databases without an ordered-set median (SQLite)."""
    ranked = _claimed(select(Escalation.claimed_by.label("agent"), value.label("v"),
                             func.row_number().over(partition_by=Escalation.claimed_by, order_by=value).label("k"),
                             func.count().over(partition_by=Escalation.claimed_by).label("n"))
                      .where(value.is_not(None)), since, until).subquery()
    return (select(ranked.c.agent, func.avg(ranked.c.v))
            .where(ranked.c.k.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])).group_by(ranked.c.agent))


def agent_workload(session: Session, since: datetime | None = None,
                   until: datetime | None = None) -> list[dict[str, Any]]:
    """Escalations claimed in [since, until), per agent who holds or held them (a re-queued
    escalation counts for the agent who claimed it last)."""
    first = seconds_between(session, Escalation.first_reply_at, Escalation.claimed_at)
    handle = seconds_between(session, Escalation.closed_at, Escalation.claimed_at)
    if session.get_bind().dialect.name == "postgresql":
        # percentile_cont(0.5) is that same median (NULLs left out), computed while grouping: one
        # scan and one statement, no window numbering every row.
        rows = session.execute(_claimed(select(
            Escalation.claimed_by, func.count(), func.count(Escalation.closed_at),
            func.percentile_cont(0.5).within_group(first), func.percentile_cont(0.5).within_group(handle))
            .group_by(Escalation.claimed_by), since, until)).tuples().all()
    else:
        counts = session.execute(_claimed(select(Escalation.claimed_by, func.count(), func.count(Escalation.closed_at))
                                          .group_by(Escalation.claimed_by), since, until)).tuples().all()
        firsts: dict[str, float] = dict(session.execute(_ranked_median(first, since, until)).tuples().all())
        handles: dict[str, float] = dict(session.execute(_ranked_median(handle, since, until)).tuples().all())
        rows = [(agent, n, closed, firsts.get(agent), handles.get(agent)) for agent, n, closed in counts]
    return [{"agent": agent, "escalations_handled": int(handled), "closed": int(closed),
             "median_first_response_s": round(float(f), 1) if f is not None else None,
             "median_handle_s": round(float(h), 1) if h is not None else None}
            for agent, handled, closed, f, h in sorted(rows, key=lambda row: str(row[0]))]

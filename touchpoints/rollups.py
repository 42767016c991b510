"""Daily rollups the dashboard reads: touchpoints per day × stage × outcome, escalation reasons per
day, article uses per day × article. A day is recounted from its typed rows whenever the scorer
changed something on it, so a recount is idempotent: two scorers cannot count a conversation twice,
they take turns on the day's lock row and the later one counts what the earlier committed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, cast, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from touchpoints.models import (
    ArticleDaily,
    ArticleUse,
    RollupDay,
    Touchpoint,
    TouchpointDaily,
    TouchpointForgotten,
    TouchpointReason,
    TouchpointReasonDaily,
)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time())
    return start, start + timedelta(days=1)


def _lock(session: Session, day: date) -> None:
    """Hold the day's lock row until commit (PostgreSQL; SQLite has one writer at a time anyway)."""
    dialect = session.get_bind().dialect.name
    upsert: Any = pg_insert(RollupDay) if dialect == "postgresql" else sqlite_insert(RollupDay)
    session.execute(upsert.values(day=day).on_conflict_do_nothing())
    session.execute(select(RollupDay.day).where(RollupDay.day == day).with_for_update())


def touchpoint_groups(start: datetime, end: datetime) -> Any:
    """Touchpoints started in [start, end) grouped as the daily rollup stores them (no day column)."""
    return (select(Touchpoint.stage, Touchpoint.resolution, Touchpoint.escalated, Touchpoint.satisfaction_predicted,
                   func.count().label("conversations"),
                   func.sum(Touchpoint.satisfaction).label("satisfaction_sum"),
                   func.sum(Touchpoint.experience_score).label("experience_sum"))
            .where(Touchpoint.started_at >= start, Touchpoint.started_at < end)
            .group_by(Touchpoint.stage, Touchpoint.resolution, Touchpoint.escalated, Touchpoint.satisfaction_predicted))


def reason_groups(start: datetime, end: datetime) -> Any:
    return (select(TouchpointReason.reason, func.count().label("conversations"))
            .join(Touchpoint, Touchpoint.conversation_id == TouchpointReason.conversation_id)
            .where(Touchpoint.started_at >= start, Touchpoint.started_at < end)
            .group_by(TouchpointReason.reason))


def article_groups(start: datetime | None, end: datetime | None) -> Any:
    query = select(ArticleUse.article_id, func.sum(ArticleUse.used).label("used"),
                   func.sum(ArticleUse.helpful).label("helpful"), func.sum(ArticleUse.unhelpful).label("unhelpful"),
                   func.sum(ArticleUse.escalations_after).label("escalations_after")).group_by(ArticleUse.article_id)
    if start is not None:
        query = query.where(ArticleUse.at >= start)
    if end is not None:
        query = query.where(ArticleUse.at < end)
    return query


def recount(session: Session, days: Iterable[date]) -> int:
    """Recount these days' rollups from the touchpoints and article uses; days in order (no deadlock)."""
    count = 0
    for day in sorted(set(days)):
        _lock(session, day)
        start, end = day_bounds(day)
        for table in (TouchpointDaily, TouchpointReasonDaily, ArticleDaily):
            session.execute(delete(table).where(table.day == day))
        groups = touchpoint_groups(start, end).subquery()
        session.execute(insert(TouchpointDaily).from_select(
            ["day", "stage", "resolution", "escalated", "satisfaction_predicted", "conversations",
             "satisfaction_sum", "experience_sum"],
            select(literal(day, TouchpointDaily.day.type), *groups.c)))
        reasons = reason_groups(start, end).subquery()
        session.execute(insert(TouchpointReasonDaily).from_select(
            ["day", "reason", "conversations"], select(literal(day, TouchpointReasonDaily.day.type), *reasons.c)))
        articles = article_groups(start, end).subquery()
        session.execute(insert(ArticleDaily).from_select(
            ["day", "article_id", "used", "helpful", "unhelpful", "escalations_after"],
            select(literal(day, ArticleDaily.day.type), *articles.c)))
        count += 1
    return count


def forgotten_days(session: Session) -> set[date]:
    """Days of touchpoints deleted since the last look (erasure, retention); the marks are consumed."""
    rows = session.execute(select(TouchpointForgotten.id, TouchpointForgotten.started_at)
                           .order_by(TouchpointForgotten.id).limit(10_000).with_for_update()).all()
    if rows:
        session.execute(delete(TouchpointForgotten).where(TouchpointForgotten.id <= rows[-1].id))
    return {started_at.date() for _, started_at in rows}


def _day(session: Session, moment: Any) -> Any:
    """The calendar day of a stored (naive UTC) time, as the Date column stores it on each database."""
    return func.date(moment) if session.get_bind().dialect.name == "sqlite" else cast(moment, Date)


def rebuild(session: Session) -> int:
    """Every day's rollups from scratch, one grouped statement per table (after a restore, or to
    check the incremental upkeep); returns the number of days with touchpoints."""
    for table in (TouchpointDaily, TouchpointReasonDaily, ArticleDaily):
        session.execute(delete(table))
    day = _day(session, Touchpoint.started_at)
    session.execute(insert(TouchpointDaily).from_select(
        ["day", "stage", "resolution", "escalated", "satisfaction_predicted", "conversations",
         "satisfaction_sum", "experience_sum"],
        select(day, Touchpoint.stage, Touchpoint.resolution, Touchpoint.escalated, Touchpoint.satisfaction_predicted,
               func.count(), func.sum(Touchpoint.satisfaction), func.sum(Touchpoint.experience_score))
        .group_by(day, Touchpoint.stage, Touchpoint.resolution, Touchpoint.escalated,
                  Touchpoint.satisfaction_predicted)))
    session.execute(insert(TouchpointReasonDaily).from_select(
        ["day", "reason", "conversations"],
        select(day, TouchpointReason.reason, func.count())
        .join(Touchpoint, Touchpoint.conversation_id == TouchpointReason.conversation_id)
        .group_by(day, TouchpointReason.reason)))
    used_on = _day(session, ArticleUse.at)
    session.execute(insert(ArticleDaily).from_select(
        ["day", "article_id", "used", "helpful", "unhelpful", "escalations_after"],
        select(used_on, ArticleUse.article_id, func.sum(ArticleUse.used), func.sum(ArticleUse.helpful),
               func.sum(ArticleUse.unhelpful), func.sum(ArticleUse.escalations_after))
        .group_by(used_on, ArticleUse.article_id)))
    return session.scalar(select(func.count(func.distinct(TouchpointDaily.day)))) or 0

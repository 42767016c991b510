"""The stored content gaps as the dashboard and the gap job read them: queries, no encoding."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, desc, func, select, union_all
from sqlalchemy.orm import Session

from knowledge.store import ArticleStore
from touchpoints.gap_models import ContentGap, GapProgress, GapQuestion
from touchpoints.models import Event
from touchpoints.unanswered import KINDS

NEWEST = 50   # rows read per gap to find its ten newest distinct wordings


def caught_up(session: Session) -> bool:
    """Whether every question event logged so far has been read and every question placed (two
    lookups on primary keys from the job's cursor, cheap at any size)."""
    read = session.scalar(select(GapProgress.event_id).where(GapProgress.id == 1)) or 0
    return (session.scalar(select(Event.id).where(Event.id > read, Event.kind.in_(KINDS)).limit(1)) is None
            and session.scalar(select(GapQuestion.id).where(GapQuestion.gap_id.is_(None)).limit(1)) is None)


def waiting(session: Session, limit: int) -> int:
    """Question events not yet read plus questions not yet placed, counted up to ``limit`` each."""
    read = session.scalar(select(GapProgress.event_id).where(GapProgress.id == 1)) or 0
    events = select(Event.id).where(Event.id > read, Event.kind.in_(KINDS)).limit(limit).subquery()
    unplaced = select(GapQuestion.id).where(GapQuestion.gap_id.is_(None)).limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(events)) or 0) + int(
        session.scalar(select(func.count()).select_from(unplaced)) or 0)


def idle(session: Session, searched_revision: int) -> bool:
    """Nothing for a pass to do: caught up, and the knowledge unchanged since the open gaps were
    all searched (at ``searched_revision``, which the caller keeps from the last report)."""
    return caught_up(session) and ArticleStore(session).revision() == searched_revision


def read_gaps(session: Session, since: datetime | None = None, until: datetime | None = None,
              limit: int = 20) -> list[dict[str, Any]]:
    """Open gaps with questions asked in the window, largest first (questions in the window), each
    with its representative and up to 10 of its questions, the newest wordings first. Three queries."""
    window: list[ColumnElement[bool]] = []
    if since:
        window.append(GapQuestion.created_at >= since)
    if until:
        window.append(GapQuestion.created_at < until)
    size = func.count().label("size")
    top = session.execute(select(GapQuestion.gap_id, size).join(ContentGap, ContentGap.id == GapQuestion.gap_id)
                          .where(ContentGap.closed_at.is_(None), *window).group_by(GapQuestion.gap_id)
                          .order_by(desc(size), GapQuestion.gap_id).limit(limit)).tuples().all()
    ids = [gap_id for gap_id, _ in top]
    if not ids:
        return []
    # Each gap's newest wordings in the window: an index range (gap_id, created_at) per gap, in one
    # statement; counting every wording of a large gap would read all its rows.
    newest = [select(GapQuestion.gap_id, GapQuestion.text, GapQuestion.created_at, GapQuestion.id)
              .where(GapQuestion.gap_id == gap_id, *window)
              .order_by(GapQuestion.created_at.desc(), GapQuestion.id.desc()).limit(NEWEST).subquery()
              for gap_id in ids]
    rows = session.execute(union_all(*(select(*part.c) for part in newest))).tuples().all()
    questions: dict[Any, list[str]] = defaultdict(list)
    for gap_id, text, _, _ in sorted(rows, key=lambda row: (row[2], row[3]), reverse=True):
        if len(questions[gap_id]) < 10 and text not in questions[gap_id]:
            questions[gap_id].append(text)
    representatives: dict[Any, str] = dict(session.execute(
        select(ContentGap.id, GapQuestion.text).join(GapQuestion, GapQuestion.id == ContentGap.representative_id)
        .where(ContentGap.id.in_(ids))).tuples().all())
    out = [{"representative": representatives.get(gap_id) or questions[gap_id][0], "size": int(n),
            "questions": questions[gap_id]} for gap_id, n in top]
    return sorted(out, key=lambda g: (-g["size"], g["representative"]))

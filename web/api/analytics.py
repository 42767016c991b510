"""Touchpoints and analytics for CX staff (editor, admin): JSON, CSV export and the dashboard's data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.db import session_scope, utcnow
from routing.staff import User
from touchpoints import analytics
from touchpoints.models import Event, Touchpoint
from touchpoints.scorer import score_pending
from web.api.staff import require
from web.knowledge import live_knowledge

router = APIRouter(tags=["analytics"])
Analyst = Annotated[User, Depends(require("editor", "admin"))]
Since = Annotated[datetime | None, Query(description="ISO date or time, UTC; default: 30 days ago")]
Until = Annotated[datetime | None, Query(description="ISO date or time, UTC; default: now")]


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as stored: an offset given (2026-11-01T09:00+01:00) is converted, not dropped."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime | None]:
    since = _utc(since) if since else utcnow() - timedelta(days=30)
    until = _utc(until) if until else None
    if until and until <= since:
        raise HTTPException(422, "until must be after since")
    return since, until


def _fresh(session: Session) -> None:
    """Score conversations that changed since the background scorer last ran."""
    score_pending(session, utcnow())


def _public(t: Touchpoint) -> dict[str, Any]:
    return {**analytics.export_row(t), "escalation_reasons": t.escalation_reasons, "articles": t.articles,
            "sentiments": t.sentiments}


@router.get("/api/touchpoints")
def list_touchpoints(
    user: Analyst, since: Since = None, until: Until = None, stage: str | None = None,
    resolution: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Newest first."""
    since, until = _window(since, until)
    with session_scope() as session:
        _fresh(session)
        rows = [t for t in analytics.touchpoints(session, since, until)
                if (not stage or t.stage == stage) and (not resolution or t.resolution == resolution)]
        return [_public(t) for t in rows[::-1][:limit]]


@router.get("/api/touchpoints/{conversation_id}")
def touchpoint(conversation_id: str, user: Analyst) -> dict[str, Any]:
    """One touchpoint with its event timeline (answers, decisions, escalation steps, clicks, ratings)."""
    with session_scope() as session:
        _fresh(session)
        t = session.get(Touchpoint, conversation_id)
        if t is None:
            raise HTTPException(404, f"No touchpoint for conversation {conversation_id!r}.")
        events = session.scalars(select(Event).where(Event.conversation_id == conversation_id).order_by(Event.id))
        return {**_public(t), "timeline": [{"kind": e.kind, "at": e.created_at.isoformat() + "Z", **(e.data or {})}
                                           for e in events]}


@router.get("/api/analytics/summary")
async def summary(request: Request, user: Analyst, since: Since = None, until: Until = None,
                  gaps: bool = True) -> dict[str, Any]:
    since, until = _window(since, until)
    encode = None
    if gaps:
        knowledge = await run_in_threadpool(live_knowledge, request)
        encode = knowledge.search_index.embedder.encode_transient

    def build() -> dict[str, Any]:
        with session_scope() as session:
            _fresh(session)
            return {
                "since": since.isoformat() + "Z", "until": until.isoformat() + "Z" if until else None,
                **analytics.summary(session, since, until),
                "articles": analytics.article_performance(session),
                "content_gaps": analytics.content_gaps(session, encode, since) if encode else [],
                "agents": analytics.agent_workload(session, since),
            }

    return await run_in_threadpool(build)


@router.get("/api/analytics/export.csv")
def export_csv(user: Analyst, since: Since = None, until: Until = None) -> StreamingResponse:
    """One row per conversation; lists are joined with ';'."""
    since, until = _window(since, until)
    with session_scope() as session:
        _fresh(session)
        rows = [analytics.export_row(t) for t in analytics.touchpoints(session, since, until)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=analytics.EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return StreamingResponse(iter([out.getvalue()]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="touchpoints.csv"'})

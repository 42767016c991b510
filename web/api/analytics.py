"""Touchpoints and analytics for CX staff (editor, admin): JSON, CSV export and the dashboard's data.

The background scorer (web.app) keeps touchpoints and rollups current, but lets a conversation in
full flow settle before rescoring it. So that a page opened right after a conversation shows it, a
read first scores what was marked before the request (only the one conversation, for a read of one),
then waits briefly (at most ``SETTLE_S``) for any mark another scorer holds just then."""

from __future__ import annotations

import base64
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from candor.db import session_scope, utc_text, utcnow
from routing import workload
from routing.config import PolicyConfig
from routing.models import Escalation
from routing.staff import User
from touchpoints import analytics, export
from touchpoints.models import AgentClaim, Event, Message, Touchpoint, TouchpointDirty
from touchpoints.scorer import score_pending
from web.api.staff import require
from web.knowledge import settle_gaps

router = APIRouter(tags=["analytics"])
Analyst = Annotated[User, Depends(require("editor", "admin"))]
Since = Annotated[datetime | None, Query(description="ISO date or time, UTC; default: 30 days ago")]
Until = Annotated[datetime | None, Query(description="ISO date or time, UTC; default: now")]
SETTLE_S = 3.0


class TouchpointOut(BaseModel):
    conversation_id: str
    started_at: str
    last_activity_at: str
    stage: str
    resolution: str
    escalated: bool
    escalation_reasons: list[str]
    turns: int
    rephrasings: int
    time_to_resolution_s: float | None
    queue_wait_s: float | None
    sentiment_avg: float | None
    sentiment_trend: float | None
    sentiments: list[float]
    satisfaction: float
    satisfaction_predicted: bool
    experience_score: int
    articles: list[str]
    formula_version: int


class TouchpointDetail(TouchpointOut):
    timeline: list[dict[str, Any]]


class StageFigures(BaseModel):
    conversations: int
    satisfaction: float | None
    experience_score: float | None
    containment_rate: float | None


class DayFigures(BaseModel):
    day: str
    conversations: int
    experience_score: float | None
    containment_rate: float | None


class ArticleFigures(BaseModel):
    article_id: str
    title: str
    used: int
    helpful: int
    unhelpful: int
    escalations_after: int
    helpful_rate: float | None


class Gap(BaseModel):
    representative: str
    size: int
    questions: list[str]


class AgentFigures(BaseModel):
    agent: str
    escalations_handled: int
    closed: int
    median_first_response_s: float | None
    median_handle_s: float | None


class Csat(BaseModel):
    """Customer ratings (1–5) of conversations in the window: how many, how many were 4 or 5, and
    that share (None: no rating)."""
    name: str
    title: str | None = None
    ratings: int
    satisfied: int
    csat: float | None


class CsatFigures(BaseModel):
    agents: list[Csat]
    teams: list[Csat]
    articles: list[Csat]


class SlaCount(BaseModel):
    met: int
    total: int


class TeamSla(BaseModel):
    team: str
    first_response: SlaCount
    next_response: SlaCount
    met_rate: float | None


def _target(targets: dict[int, int]) -> Any:
    return case(*((Escalation.priority == p, minutes * 60) for p, minutes in targets.items()),
                else_=max(targets.values()) * 60)


def sla_by_team(session: Session, policy: PolicyConfig, since: datetime, until: datetime | None,
                now: datetime) -> list[dict[str, Any]]:
    """Per team, reply targets met: first response (queued → the first agent reply; one still
    unanswered past its target is a miss) and next response (each customer message while an agent
    held the conversation → the agent's next reply), targets per priority from the policy."""
    replied = (select(AgentClaim.escalation_id, func.min(AgentClaim.first_reply_at).label("at"))
               .group_by(AgentClaim.escalation_id).subquery())
    target = _target(policy.first_response_minutes)
    waited = workload.seconds_between(session, func.coalesce(replied.c.at, now), Escalation.created_at)
    first = (select(Escalation.team, func.count(), func.sum(case((replied.c.at.is_not(None) & (waited <= target), 1),
                                                                  else_=0)))
             .outerjoin(replied, replied.c.escalation_id == Escalation.id)
             .where(Escalation.created_at >= since, replied.c.at.is_not(None) | (waited > target))
             .group_by(Escalation.team))
    customer, agent = aliased(Message), aliased(Message)
    reply_at = (select(func.min(agent.created_at)).where(
        agent.conversation_id == customer.conversation_id, agent.sender == "agent",
        agent.created_at > customer.created_at).scalar_subquery())
    target = _target(policy.next_response_minutes)
    waited = workload.seconds_between(session, func.coalesce(reply_at, now), customer.created_at)
    held = (AgentClaim.conversation_id == customer.conversation_id) & (AgentClaim.claimed_at <= customer.created_at) & (
        AgentClaim.closed_at.is_(None) | (customer.created_at < AgentClaim.closed_at))
    following = (select(Escalation.team, func.count(), func.sum(case((reply_at.is_not(None) & (waited <= target), 1),
                                                                      else_=0)))
                 .select_from(customer).join(AgentClaim, held)
                 .join(Escalation, Escalation.id == AgentClaim.escalation_id)
                 .where(customer.sender == "customer", customer.created_at >= since,
                        reply_at.is_not(None) | (waited > target))
                 .group_by(Escalation.team))
    if until:
        first = first.where(Escalation.created_at < until)
        following = following.where(customer.created_at < until)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for offset, query in ((0, first), (2, following)):
        for team, total, met in session.execute(query).tuples():
            counts[team][offset:offset + 2] = [int(met or 0), int(total)]
    return [{"team": team, "first_response": {"met": a, "total": b}, "next_response": {"met": c, "total": d},
             "met_rate": round((a + c) / (b + d), 3) if b + d else None}
            for team, (a, b, c, d) in sorted(counts.items())]


class Summary(BaseModel):
    since: str
    until: str | None
    conversations: int
    containment_rate: float | None
    escalation_rate: float | None
    escalations_by_reason: dict[str, int]
    resolution: dict[str, int]
    satisfaction: float | None
    rated_satisfaction: float | None
    experience_score: float | None
    by_stage: dict[str, StageFigures]
    over_time: list[DayFigures]
    articles: list[ArticleFigures]
    content_gaps: list[Gap]
    agents: list[AgentFigures]
    csat: CsatFigures
    sla: list[TeamSla]


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as stored: an offset given (2026-11-01T09:00+01:00) is converted, not dropped."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime | None]:
    since = _utc(since) if since else utcnow() - timedelta(days=30)
    until = _utc(until) if until else None
    if until and until <= since:
        raise HTTPException(422, "until must be after since")
    return since, until


def _settle(request: Request, session: Session, conversation_id: str | None = None) -> None:
    """Take in the changes marked before this request: score them now, then wait (bounded) for those
    another scorer was scoring at the same moment (it holds their lock)."""
    if not getattr(request.app.state, "scorer", False):
        return
    now = utcnow()
    # In the request's own session (every caller settles first), committed at once so the write
    # lock is not held for the rest of the read.
    score_pending(session, now, only=conversation_id)
    session.commit()
    marked = select(func.count()).select_from(TouchpointDirty).where(TouchpointDirty.marked_at <= now)
    if conversation_id is not None:
        marked = marked.where(TouchpointDirty.conversation_id == conversation_id)
    deadline = time.monotonic() + SETTLE_S
    while session.scalar(marked) and time.monotonic() < deadline:
        session.rollback()   # a fresh snapshot on the next look
        time.sleep(0.1)


def _public(t: Touchpoint) -> dict[str, Any]:
    return {**analytics.export_row(t), "escalation_reasons": t.escalation_reasons, "articles": t.articles,
            "sentiments": t.sentiments}


def _cursor(t: Touchpoint) -> str:
    """Opaque to callers: the last row's start time and id, URL-safe."""
    return base64.urlsafe_b64encode(f"{t.started_at.isoformat()}|{t.conversation_id}".encode()).decode()


def _after(cursor: str) -> tuple[datetime, str]:
    try:
        started, conversation_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(started), conversation_id
    except (ValueError, UnicodeError) as error:
        raise HTTPException(422, "This 'after' cursor is not one this list gave out: use the X-Next-Cursor "
                                 "header of the previous page, or leave it out for the first page.") from error


@router.get("/api/touchpoints")
def list_touchpoints(
    request: Request, response: Response, user: Analyst, since: Since = None, until: Until = None,
    stage: str | None = None, resolution: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    after: Annotated[str | None, Query(description="The X-Next-Cursor header of the previous page")] = None,
) -> list[TouchpointOut]:
    """Newest first, by (start time, id); a full page sets ``X-Next-Cursor``, the next page's ``after``
    (keyset: a deep page is one index range, as fast as the first)."""
    since, until = _window(since, until)
    position = _after(after) if after else None
    with session_scope() as session:
        _settle(request, session)
        rows = analytics.touchpoint_page(session, since, until, stage, resolution, limit, after=position)
        if len(rows) == limit:
            response.headers["X-Next-Cursor"] = _cursor(rows[-1])
        return [TouchpointOut(**_public(t)) for t in rows]


@router.get("/api/touchpoints/{conversation_id}")
def touchpoint(request: Request, conversation_id: str, user: Analyst) -> TouchpointDetail:
    """One touchpoint with its event timeline (answers, decisions, escalation steps, clicks, ratings)."""
    with session_scope() as session:
        _settle(request, session, conversation_id)
        t = session.get(Touchpoint, conversation_id)
        if t is None:
            raise HTTPException(404, f"No touchpoint for conversation {conversation_id!r} (yet: conversations "
                                     "are scored within seconds of their first message).")
        events = session.scalars(select(Event).where(Event.conversation_id == conversation_id).order_by(Event.id))
        return TouchpointDetail(**_public(t), timeline=[
            {"kind": e.kind, "at": utc_text(e.created_at), **(e.data or {})} for e in events])


@router.get("/api/analytics/summary")
async def summary(request: Request, user: Analyst, since: Since = None, until: Until = None,
                  gaps: bool = True) -> Summary:
    since, until = _window(since, until)

    def build() -> Summary:
        with session_scope() as session:
            _settle(request, session)
            if gaps:
                settle_gaps(request, session)
            return Summary.model_validate({
                "since": utc_text(since), "until": utc_text(until) if until else None,
                **analytics.summary(session, since, until),
                "articles": analytics.article_performance(session, since, until),
                "content_gaps": analytics.content_gaps(session, since, until) if gaps else [],
                "agents": workload.agent_workload(session, since, until),
                "csat": {"agents": analytics.csat_by_agent(session, since, until),
                         # the team of the escalation; routing sits above touchpoints, so it is named here
                         "teams": analytics.csat_by(session, Escalation.team, Escalation.conversation_id,
                                                    since, until),
                         "articles": analytics.csat_by_article(session, since, until)},
                "sla": sla_by_team(session, request.app.state.chat.router.config, since, until, utcnow()),
            })

    return await run_in_threadpool(build)


def csv_lines(since: datetime | None, until: datetime | None) -> Iterator[bytes]:
    """The export through one session held while the response streams (COPY on PostgreSQL)."""
    with session_scope() as session:
        yield from export.csv_chunks(session, since, until)


@router.get("/api/analytics/export.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "One row per conversation"}})
def export_csv(request: Request, user: Analyst, since: Since = None, until: Until = None) -> StreamingResponse:
    """One row per conversation started in the window; lists are joined with ';'. Streamed in
    constant memory, whatever the window."""
    since, until = _window(since, until)
    with session_scope() as session:
        _settle(request, session)
    return StreamingResponse(csv_lines(since, until), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="touchpoints.csv"'})

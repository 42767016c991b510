"""What the business sees: containment, escalations, satisfaction and experience by stage and over
time, article performance, content gaps and agent workload. Read from scored touchpoints."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from statistics import fmean, median
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Article
from touchpoints.article_stats import article_stats
from touchpoints.gaps import cluster_questions
from touchpoints.journey import STAGES
from touchpoints.models import Event, Message, Touchpoint
from touchpoints.scorer import escalation_spans

CONTAINED = ("answered_confirmed", "answered_unconfirmed", "not_a_fit")  # no person needed
EXPORT_COLUMNS = (
    "conversation_id", "started_at", "last_activity_at", "stage", "resolution", "escalated", "escalation_reasons",
    "turns", "rephrasings", "time_to_resolution_s", "queue_wait_s", "sentiment_avg", "sentiment_trend",
    "satisfaction", "satisfaction_predicted", "experience_score", "articles", "formula_version",
)


def touchpoints(session: Session, since: datetime | None = None, until: datetime | None = None) -> list[Touchpoint]:
    query = select(Touchpoint).order_by(Touchpoint.started_at)
    if since:
        query = query.where(Touchpoint.started_at >= since)
    if until:
        query = query.where(Touchpoint.started_at < until)
    return list(session.scalars(query))


def _avg(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def summary(session: Session, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    rows = touchpoints(session, since, until)
    total = len(rows)
    reasons = Counter(r for t in rows for r in (t.escalation_reasons or []))
    by_stage = {}
    for stage in STAGES:
        group = [t for t in rows if t.stage == stage]
        by_stage[stage] = {"conversations": len(group),
                           "satisfaction": _avg([t.satisfaction for t in group]),
                           "experience_score": _avg([t.experience_score for t in group]),
                           "containment_rate": _rate(sum(t.resolution in CONTAINED for t in group), len(group))}
    days: dict[str, list[Touchpoint]] = defaultdict(list)
    for t in rows:
        days[t.started_at.date().isoformat()].append(t)
    return {
        "conversations": total,
        "containment_rate": _rate(sum(t.resolution in CONTAINED for t in rows), total),
        "escalation_rate": _rate(sum(t.escalated for t in rows), total),
        "escalations_by_reason": dict(reasons.most_common()),
        "resolution": dict(Counter(t.resolution for t in rows)),
        "satisfaction": _avg([t.satisfaction for t in rows]),
        "rated_satisfaction": _avg([t.satisfaction for t in rows if not t.satisfaction_predicted]),
        "experience_score": _avg([t.experience_score for t in rows]),
        "by_stage": by_stage,
        "over_time": [{"day": day, "conversations": len(group),
                       "experience_score": _avg([t.experience_score for t in group]),
                       "containment_rate": _rate(sum(t.resolution in CONTAINED for t in group), len(group))}
                      for day, group in sorted(days.items())],
    }


def article_performance(session: Session) -> list[dict[str, Any]]:
    stats = article_stats(session)
    titles = dict(session.execute(select(Article.id, Article.title)).all())
    rows = [{"article_id": aid, "title": titles.get(aid, "(deleted)"), **s.public()} for aid, s in stats.items()]
    return sorted(rows, key=lambda r: (-r["used"], r["article_id"]))


def unanswered_questions(session: Session, since: datetime | None = None) -> list[str]:
    """What customers asked when the bot was unsure, or when its answer was marked unhelpful."""
    query = select(Event.conversation_id, Event.kind, Event.data).where(
        Event.kind.in_(["unsure", "answer", "feedback"])).order_by(Event.id)
    if since:
        query = query.where(Event.created_at >= since)
    questions: list[str] = []
    last_question: dict[str, str | None] = {}
    for conversation_id, kind, data in session.execute(query).tuples():
        data = data or {}
        if kind == "unsure" and data.get("question"):
            questions.append(data["question"])
        elif kind == "answer":
            last_question[conversation_id] = data.get("question")
        elif kind == "feedback" and not data.get("helpful") and (asked := last_question.get(conversation_id)):
            questions.append(asked)
            del last_question[conversation_id]
    return questions


def content_gaps(session: Session, encode: Callable[[list[str]], np.ndarray], since: datetime | None = None,
                 limit: int = 20) -> list[dict[str, Any]]:
    gaps = cluster_questions(unanswered_questions(session, since), encode)
    return [{"representative": g.representative, "size": g.size, "questions": g.questions[:10]} for g in gaps[:limit]]


def agent_workload(session: Session, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per agent: escalations claimed and closed, median first-response time (claim → first reply)
    and median handle time (claim → close)."""
    query = select(Event).where(Event.kind == "escalation_transition").order_by(Event.id)
    if since:
        query = query.where(Event.created_at >= since)
    # Each claimed span with who claimed it and when.
    claimed = [(s, s.claimed_by, s.claimed_at) for s in escalation_spans(session.scalars(query))
               if s.claimed_by and s.claimed_at]
    replies: dict[str | None, list[datetime]] = defaultdict(list)
    if claimed:
        rows = session.execute(select(Message.conversation_id, Message.created_at).where(
            Message.conversation_id.in_({s.conversation_id for s, _, _ in claimed}), Message.sender == "agent",
        ).order_by(Message.seq)).tuples()
        for conversation_id, at in rows:
            replies[conversation_id].append(at)
    handled: dict[str, dict[str, list[Any]]] = defaultdict(
        lambda: {"claimed": [], "handle_s": [], "first_response_s": []})
    for span, agent, claimed_at in claimed:
        work = handled[agent]
        work["claimed"].append(span)
        if span.closed_at:
            work["handle_s"].append((span.closed_at - claimed_at).total_seconds())
        first = next((at for at in replies[span.conversation_id] if at >= claimed_at), None)
        if first is not None:
            work["first_response_s"].append((first - claimed_at).total_seconds())
    return [{"agent": agent, "escalations_handled": len(h["claimed"]), "closed": len(h["handle_s"]),
             "median_first_response_s": round(median(h["first_response_s"]), 1) if h["first_response_s"] else None,
             "median_handle_s": round(median(h["handle_s"]), 1) if h["handle_s"] else None}
            for agent, h in sorted(handled.items())]


def export_row(t: Touchpoint) -> dict[str, Any]:
    row = {name: getattr(t, name) for name in EXPORT_COLUMNS}
    row["started_at"] = t.started_at.isoformat() + "Z"
    row["last_activity_at"] = t.last_activity_at.isoformat() + "Z"
    row["escalation_reasons"] = ";".join(t.escalation_reasons or [])
    row["articles"] = ";".join(t.articles or [])
    return row

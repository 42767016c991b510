"""The analytics as they were computed before the rollups: every touchpoint and event of the window
loaded and counted in Python. Kept as the reference the rollup path must agree with, and a
seeded set of conversations to compare them on."""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import partial
from statistics import fmean, median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing import workload
from routing.models import Escalation
from touchpoints import conversations, log
from touchpoints.analytics import CONTAINED
from touchpoints.journey import STAGES
from touchpoints.models import Event, Message, Touchpoint
from touchpoints.scorer import escalation_spans
from touchpoints.status import EscalationStatus


def _avg(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def summary(session: Session, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    query = select(Touchpoint).order_by(Touchpoint.started_at)
    if since:
        query = query.where(Touchpoint.started_at >= since)
    if until:
        query = query.where(Touchpoint.started_at < until)
    rows = list(session.scalars(query))
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


def article_stats(session: Session, since: datetime | None, until: datetime | None) -> dict[str, list[int]]:
    """Per article: used, helpful, unhelpful, escalations after (events in the window, one ordered pass)."""
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    last_answer: dict[str, str] = {}
    query = (select(Event.conversation_id, Event.kind, Event.data, Event.created_at)
             .where(Event.kind.in_(["answer", "fit_recommendation", "feedback", "escalated"])).order_by(Event.id))
    for conversation_id, kind, data, at in session.execute(query).tuples():
        article_id = (data or {}).get("article_id")
        inside = (since is None or at >= since) and (until is None or at < until)
        if kind in ("answer", "fit_recommendation") and article_id:
            stats[article_id][0] += inside
            last_answer[conversation_id] = article_id
        elif kind == "feedback" and article_id:
            stats[article_id][1 if data.get("helpful") else 2] += inside
        elif kind == "escalated" and conversation_id in last_answer:
            stats[last_answer[conversation_id]][3] += inside
    return {a: s for a, s in stats.items() if any(s)}


def agent_workload(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = select(Event).where(Event.kind == "escalation_transition").order_by(Event.id)
    if since:
        query = query.where(Event.created_at >= since)
    claimed = [(s, s.claimed_by, s.claimed_at) for s in escalation_spans(session.scalars(query))
               if s.claimed_by and s.claimed_at]
    replies: dict[str | None, list[datetime]] = defaultdict(list)
    for span, _, _ in claimed:
        replies[span.conversation_id] = list(session.scalars(select(Message.created_at).where(
            Message.conversation_id == span.conversation_id, Message.sender == "agent").order_by(Message.seq)))
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


def _say(session: Session, conversation_id: str, at: datetime, sender: str, text: str) -> None:
    conversations.append(session, conversation_id, sender, text).created_at = at


def _event(session: Session, conversation_id: str, at: datetime, kind: str, **data: Any) -> None:
    log.record(session, conversation_id, kind, **data).created_at = at


QUESTIONS = ("How much does Plus 500 cost?", "I want to talk to a person", "my router is blinking orange",
             "can I pause my contract", "what is the cancellation fee?", "this is terrible, nothing works")


def seed(session: Session, start: datetime, count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """``count`` conversations over four days from ``start``: answers, clicks, ratings, escalations
    claimed and closed by agents, replies; returns their ids and the agents' names."""
    agents = [f"agent-{secrets.token_hex(3)}" for _ in range(3)]
    articles = [f"article-{secrets.token_hex(3)}" for _ in range(4)]
    ids = []
    for _ in range(count):
        conversation, _ = conversations.create(session, {"site": rng.choice(["pricing", "support", "account"])})
        ids.append(conversation.id)
        t = start + timedelta(minutes=rng.randrange(4 * 24 * 60))
        say = partial(_say, session, conversation.id)
        event = partial(_event, session, conversation.id)
        for _ in range(rng.randint(1, 3)):
            t += timedelta(seconds=rng.randint(5, 90))
            say(t, "customer", rng.choice(QUESTIONS))
            article = rng.choice(articles)
            if rng.random() < 0.7:
                event(t, "answer", article_id=article, question="q", confidence=0.8)
                say(t, "bot", "An answer.")
                if rng.random() < 0.6:
                    t += timedelta(seconds=rng.randint(5, 60))
                    event(t, "feedback", helpful=rng.random() < 0.6, article_id=article)
            else:
                event(t, "unsure", question="q")
        if rng.random() < 0.35:
            rng.randrange(10**8)   # was a made-up escalation id: the draws after it stay as they were
            reasons = rng.sample(["explicit_request", "repeated_failure", "human_topic"], 2)
            # The escalation row as the queue keeps it, beside the events the reference reads.
            row = Escalation(conversation_id=conversation.id, reasons=reasons, team="general", created_at=t,
                             sla_due_at=t)
            session.add(row)
            session.flush()
            event(t, "escalated", reasons=reasons)
            event(t, "escalation_transition", escalation_id=row.id, old="new", new="queued", by=None)
            if rng.random() < 0.8:
                t += timedelta(seconds=rng.randint(10, 600))
                agent = rng.choice(agents)
                event(t, "escalation_transition", escalation_id=row.id, old="queued", new="claimed", by=agent)
                row.status, row.claimed_by, row.claimed_at = EscalationStatus.CLAIMED, agent, t
                session.flush()
                if rng.random() < 0.8:
                    t += timedelta(seconds=rng.randint(5, 300))
                    say(t, "agent", "Hello, I can help.")
                    workload.replied(session, row.id, t)   # as the reply route does
                if rng.random() < 0.7:
                    t += timedelta(seconds=rng.randint(60, 900))
                    event(t, "escalation_transition", escalation_id=row.id, old="claimed", new="closed", by=agent)
                    event(t, "resolved", by=agent)
                    row.status, row.closed_at = EscalationStatus.CLOSED, t
        if rng.random() < 0.3:
            t += timedelta(seconds=30)
            event(t, "rating", score=rng.randint(1, 5))
    session.flush()
    return ids, agents

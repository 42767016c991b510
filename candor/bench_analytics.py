"""``candor bench analytics``: every dashboard read and the export timed over N synthetic conversations
in a scratch database, next to a plain SQL aggregate over the same rows (the floor) in the same run.

The data is schema-true and seeded: each conversation has 4-8 messages and 4-8 events as the bot
logs them, its scored touchpoint, and the typed facts the scorer derives (escalation reasons,
article uses, agent claims); the rollups are then rebuilt by the real rebuild code."""

from __future__ import annotations

import csv
import os
import random
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, delete, func, insert, select, text

from touchpoints.journey import STAGES
from touchpoints.models import (
    AgentClaim,
    ArticleUse,
    Conversation,
    Event,
    Message,
    Touchpoint,
    TouchpointDirty,
    TouchpointReason,
)
from touchpoints.scoring import RESOLUTIONS

# The scorer's outcomes but "unresolved": every conversation here is older than the abandonment
# delay, so it was scored abandoned.
SYNTHETIC_RESOLUTIONS = tuple(r for r in RESOLUTIONS if r != "unresolved")
REASONS = ("explicit_request", "repeated_failure", "human_topic", "low_confidence")
CHUNK = 5000


@dataclass
class Timing:
    read: str
    seconds: float
    rows: int


def median_time(call: Callable[[], int], repeats: int) -> tuple[float, int]:
    """The median wall time of ``repeats`` calls and what the last call returned (rows or a count)."""
    samples, result = [], 0
    for _ in range(max(1, repeats)):
        began = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples), result


def versus_floor(seconds: float, floor: float) -> str:
    """How many times the floor a read takes ("–" without a floor)."""
    return f"{seconds / floor:.1f}x" if floor > 0 else "–"


def conversation_rows(n: int, rng: random.Random, start: datetime, days: int) -> Iterator[dict[str, list[Any]]]:
    """One conversation at a time, as rows per table."""
    agents = [f"agent-{i}" for i in range(25)]
    articles = [f"article-{i}" for i in range(300)]
    for _ in range(n):
        cid = str(uuid.UUID(int=rng.getrandbits(128)))
        t = start + timedelta(seconds=rng.randrange(days * 86400))
        first = t
        messages: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        uses: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        last_article = None
        escalated = rng.random() < 0.25
        for seq in range(1, rng.randint(4, 8) + 1):
            t += timedelta(seconds=rng.randint(3, 120))
            messages.append({"conversation_id": cid, "seq": seq, "sender": "customer" if seq % 2 else "bot",
                             "text": "How much does Plus 500 cost per month?", "payload": {}, "created_at": t})
        for _ in range(rng.randint(4, 8)):
            t += timedelta(seconds=rng.randint(3, 60))
            kind = rng.choice(("answer", "answer", "feedback", "unsure", "decision"))
            article = rng.choice(articles)
            if kind == "answer":
                last_article = article
                uses.append({"conversation_id": cid, "article_id": article, "at": t, "used": 1, "helpful": 0,
                             "unhelpful": 0, "escalations_after": 0})
                data: dict[str, Any] = {"article_id": article, "question": "q", "confidence": 0.8}
            elif kind == "feedback" and last_article:
                helpful = rng.random() < 0.7
                uses.append({"conversation_id": cid, "article_id": last_article, "at": t, "used": 0,
                             "helpful": int(helpful), "unhelpful": int(not helpful), "escalations_after": 0})
                data = {"article_id": last_article, "helpful": helpful}
            else:
                kind, data = "unsure", {"question": "can I pause my broadband?"}
            events.append({"conversation_id": cid, "kind": kind, "data": data, "created_at": t})
        reasons = sorted(set(rng.sample(REASONS, rng.randint(1, 2)))) if escalated else []
        if escalated:
            events.append({"conversation_id": cid, "kind": "escalated", "data": {"reasons": reasons},
                           "created_at": t})
            if last_article:
                uses.append({"conversation_id": cid, "article_id": last_article, "at": t, "used": 0, "helpful": 0,
                             "unhelpful": 0, "escalations_after": 1})
            claimed = t + timedelta(seconds=rng.randint(10, 900))
            reply = claimed + timedelta(seconds=rng.randint(5, 300)) if rng.random() < 0.9 else None
            closed = claimed + timedelta(seconds=rng.randint(60, 3600)) if rng.random() < 0.8 else None
            claims.append({"conversation_id": cid, "escalation_id": None, "agent": rng.choice(agents),
                           "claimed_at": claimed, "first_reply_at": reply, "closed_at": closed,
                           "first_response_s": (reply - claimed).total_seconds() if reply else None,
                           "handle_s": (closed - claimed).total_seconds() if closed else None})
        resolution = "resolved_by_agent" if escalated and rng.random() < 0.7 else rng.choice(SYNTHETIC_RESOLUTIONS)
        rated = rng.random() < 0.2
        touchpoint = {
            "conversation_id": cid, "stage": rng.choice(STAGES), "resolution": resolution,
            "sentiment_avg": round(rng.uniform(-1, 1), 3), "sentiment_trend": round(rng.uniform(-1, 1), 3),
            "sentiments": [0.1, 0.2], "turns": len(messages) // 2, "rephrasings": rng.randint(0, 2),
            "time_to_resolution_s": (t - first).total_seconds(), "queue_wait_s": 30.0 if escalated else None,
            "satisfaction": float(rng.randint(1, 5)) if rated else rng.choice((2.0, 2.5, 3.5, 4.0, 4.5)),
            "satisfaction_predicted": not rated, "experience_score": rng.randint(0, 100), "escalated": escalated,
            "escalation_reasons": reasons, "articles": sorted({str(u["article_id"]) for u in uses}),
            "formula_version": 1, "started_at": first, "last_activity_at": t,
            "seen_message_id": 0, "seen_event_id": 0, "scored_at": t,
        }
        yield {"conversations": [{"id": cid, "token_hash": "0" * 64, "status": "closed", "attributes": {},
                                  "created_at": first, "updated_at": t}],
               "messages": messages, "events": events, "touchpoints": [touchpoint],
               "touchpoint_reasons": [{"conversation_id": cid, "reason": r} for r in reasons],
               "article_uses": uses, "agent_claims": claims}


TABLES: dict[str, type[Any]] = {
    "conversations": Conversation, "messages": Message, "events": Event, "touchpoints": Touchpoint,
    "touchpoint_reasons": TouchpointReason, "article_uses": ArticleUse, "agent_claims": AgentClaim}


def generate(engine: Engine, n: int, seed: int = 1, now: datetime | None = None, days: int = 365) -> dict[str, int]:
    """Bulk-insert ``n`` conversations over the ``days`` before ``now``; rows written per table. The
    dirty-mark triggers are off during the load on PostgreSQL and their marks cleared after (the
    rows arrive scored), as a restored backup would be."""
    now = now or datetime(2026, 11, 30)
    rng = random.Random(seed)
    counts = dict.fromkeys(TABLES, 0)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            for table in ("messages", "events"):
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_mark_dirty"))
        batch: dict[str, list[Any]] = {name: [] for name in TABLES}

        def flush() -> None:
            for name, model in TABLES.items():   # parents first: the foreign keys hold at every step
                if batch[name]:
                    connection.execute(insert(model), batch[name])
                    counts[name] += len(batch[name])
                    batch[name].clear()

        for i, rows in enumerate(conversation_rows(n, rng, now - timedelta(days=days), days), start=1):
            for name, values in rows.items():
                batch[name].extend(values)
            if i % CHUNK == 0:
                flush()
        flush()
        if postgres:
            for table in ("messages", "events"):
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_mark_dirty"))
        connection.execute(delete(TouchpointDirty))
    if postgres:   # as autovacuum would after a load this size: the planner needs the new row counts
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    return counts


def per_second(count: int, seconds: float) -> float:
    """Conversations per second (0 when nothing was timed)."""
    return count / seconds if seconds > 0 else 0.0


def mark_recent_dirty(session: Any, n: int, now: datetime) -> list[str]:
    """Mark the ``n`` most recently active conversations dirty, as new messages would; their ids."""
    ids = list(session.scalars(select(Touchpoint.conversation_id)
                               .order_by(Touchpoint.last_activity_at.desc()).limit(n)))
    session.execute(delete(TouchpointDirty))
    if ids:
        session.execute(insert(TouchpointDirty), [{"conversation_id": i, "generation": 1, "marked_at": now}
                                                  for i in ids])
    session.commit()
    return ids


def scoring_throughput(url: str, now: datetime, n: int) -> list[Timing]:
    """The real scorer (rollups included) over ``n`` conversations marked dirty, pass after pass
    until none is pending, next to the floor: one plain SQL read of those conversations' messages
    and events. ``rows`` is conversations per second."""
    from sqlalchemy.orm import Session

    from candor.db import get_engine
    from touchpoints.scorer import pending, score_pending

    session = Session(get_engine(url))
    ids = mark_recent_dirty(session, n, now)
    began = time.perf_counter()
    read = 0
    for start in range(0, len(ids), 500):   # bound parameters stay under every driver's limit
        chunk = ids[start:start + 500]
        read += len(session.execute(select(Message.conversation_id, Message.text)
                                    .where(Message.conversation_id.in_(chunk))).all())
        read += len(session.execute(select(Event.conversation_id, Event.data)
                                    .where(Event.conversation_id.in_(chunk))).all())
    floor = time.perf_counter() - began
    session.commit()
    began, scored = time.perf_counter(), 0
    while True:
        done = score_pending(session, now)
        session.commit()
        scored += done
        if not done or not pending(session, now, limit=1):
            break
    seconds = time.perf_counter() - began
    session.close()
    return [Timing(f"floor: plain SQL read of {len(ids):,} conversations' messages + events ({read:,} rows)",
                   floor, round(per_second(len(ids), floor))),
            Timing(f"scoring: score_pending over {len(ids):,} dirty conversations ({scored:,} scored), conv/s",
                   seconds, round(per_second(scored, seconds)))]


def export_to_null(session: Any, since: datetime | None) -> int:
    from touchpoints import analytics

    with open(os.devnull, "w", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(analytics.EXPORT_COLUMNS)
        count = 0
        for row in analytics.export_rows(session, since):
            writer.writerow(row)
            count += 1
    return count


def run(url: str, now: datetime, repeats: int = 3) -> list[Timing]:
    """Time every read the dashboard, the export and `candor report` make, and the floor."""
    from sqlalchemy.orm import Session

    from candor.db import get_engine
    from touchpoints import analytics, rollups
    from touchpoints.scorer import pending

    month = now - timedelta(days=30)
    session = Session(get_engine(url))
    reads: list[tuple[str, Callable[[], int]]] = [
        ("floor: plain SQL GROUP BY stage, resolution (all time)", lambda: len(session.execute(
            select(Touchpoint.stage, Touchpoint.resolution, func.count(), func.avg(Touchpoint.satisfaction),
                   func.avg(Touchpoint.experience_score)).group_by(Touchpoint.stage, Touchpoint.resolution)).all())),
        ("rollups: full rebuild", lambda: rollups.rebuild(session)),
        ("change check (pending)", lambda: len(pending(session, now))),
        ("summary, all time", lambda: analytics.summary(session)["conversations"]),
        ("summary, last 30 days", lambda: analytics.summary(session, month)["conversations"]),
        ("article performance, all time", lambda: len(analytics.article_performance(session))),
        ("article performance, last 30 days", lambda: len(analytics.article_performance(session, month))),
        ("agent workload, all time", lambda: len(analytics.agent_workload(session))),
        ("agent workload, last 30 days", lambda: len(analytics.agent_workload(session, month))),
        ("touchpoints list, first page", lambda: len(analytics.touchpoint_page(session, month, limit=200))),
        ("CSV export, last 30 days", lambda: export_to_null(session, month)),
        ("CSV export, all time", lambda: export_to_null(session, None)),
        ("candor report (summary + articles + agents, 30 days)", lambda: analytics.summary(session, month)[
            "conversations"] + len(analytics.article_performance(session, month))
            + len(analytics.agent_workload(session, month))),
    ]
    reads[0][1]()   # warm: the first statement on a connection pays for it
    timings = []
    for name, call in reads:
        seconds, rows = median_time(call, 1 if "export, all" in name or "rebuild" in name else repeats)
        session.commit()
        timings.append(Timing(name, seconds, rows))
    session.close()
    return timings


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_analytics(
    conversations: Annotated[int, typer.Option(help="Synthetic conversations to generate.", min=1)] = 10_000,
    database_url: Annotated[str | None, typer.Option(
        help="An empty scratch database (PostgreSQL: create it first); default: a new SQLite file.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 1,
    repeats: Annotated[int, typer.Option(help="Timed calls per read (the median is shown).", min=1)] = 3,
    score: Annotated[int, typer.Option(
        help="Recent conversations marked dirty and re-scored to time the scorer (0: skip).", min=0)] = 2000,
) -> None:
    """Every dashboard read, the export and the report over N conversations, next to the SQL floor."""
    from candor.db import get_engine
    from candor.migrate import upgrade

    console = Console()
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='candor-bench-')) / 'analytics.db'}"
    upgrade(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        if connection.scalar(select(func.count()).select_from(Conversation)):
            console.print(f"[red]{url.split('@')[-1]} already holds conversations: "
                          "give an empty scratch database.[/red]")
            raise typer.Exit(1)
    now = datetime(2026, 11, 30)
    began = time.perf_counter()
    counts = generate(engine, conversations, seed, now)
    console.print(f"Generated {conversations:,} conversations on {engine.dialect.name} in "
                  f"{time.perf_counter() - began:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    timings = run(url, now, repeats)
    floor = timings[0].seconds
    table = Table("read", "seconds", "vs floor", "rows / result",
                  title=f"{conversations:,} conversations, {engine.dialect.name}, median of {repeats}")
    for timing in timings:
        table.add_row(timing.read, f"{timing.seconds:.3f}", versus_floor(timing.seconds, floor), f"{timing.rows:,}")
    console.print(table)
    if score:
        scoring = Table("pass", "seconds", "conversations/s", title="Scoring throughput (target: >= 50/s)")
        for timing in scoring_throughput(url, now, score):
            scoring.add_row(timing.read, f"{timing.seconds:.3f}", f"{timing.rows:,}")
        console.print(scoring)
    console.print(f"Peak memory of this process: {peak_rss_mb():.0f} MB (generation included).")

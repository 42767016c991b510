"""``candor bench analytics``: every dashboard read and the export timed over N synthetic conversations
in a scratch database, next to a plain SQL aggregate over the same rows (the floor) in the same run.

The data is schema-true and seeded: each conversation has 4-8 messages and 4-8 events as the bot
logs them, its scored touchpoint, and the typed facts the scorer derives (escalation reasons,
article uses, agent claims); the rollups are then rebuilt by the real rebuild code."""

from __future__ import annotations

import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, delete, func, insert, select, text

from candor.bench_timing import Timing, print_timings, time_reads
from routing.models import Escalation
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
TEAMS = ("general", "billing", "technical")
REASONS = ("explicit_request", "repeated_failure", "human_topic", "low_confidence")
CHUNK = 5000


def conversation_rows(n: int, rng: random.Random, start: datetime, days: int) -> Iterator[dict[str, list[Any]]]:
    """One conversation at a time, as rows per table."""
    agents = [f"agent-{i}" for i in range(25)]
    articles = [f"article-{i}" for i in range(300)]
    escalation_ids = count(1)
    for _ in range(n):
        cid = str(uuid.UUID(int=rng.getrandbits(128)))
        t = start + timedelta(seconds=rng.randrange(days * 86400))
        first = t
        messages: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        uses: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        escalations: list[dict[str, Any]] = []
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
            if reply and closed and closed < reply:   # an agent replies while holding it, not after the close
                closed = reply + timedelta(seconds=30)
            agent, escalation_id = rng.choice(agents), next(escalation_ids)
            claims.append({"conversation_id": cid, "escalation_id": escalation_id, "agent": agent,
                           "claimed_at": claimed, "first_reply_at": reply, "closed_at": closed,
                           "first_response_s": (reply - claimed).total_seconds() if reply else None,
                           "handle_s": (closed - claimed).total_seconds() if closed else None})
            escalations.append({"id": escalation_id, "conversation_id": cid,
                                "status": "closed" if closed else "claimed", "priority": 3, "team": rng.choice(TEAMS),
                                "reasons": reasons, "claimed_by": agent, "created_at": t,
                                "sla_due_at": t + timedelta(minutes=15), "claimed_at": claimed, "closed_at": closed,
                                "first_reply_at": reply})
            if reply:   # the agent's reply, which the escalation row's first_reply_at is kept from
                messages.append({"conversation_id": cid, "seq": len(messages) + 1, "sender": "agent",
                                 "text": "Let me look into that for you.", "payload": {}, "created_at": reply})
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
                                  "created_at": first, "updated_at": t}], "escalations": escalations,
               "messages": messages, "events": events, "touchpoints": [touchpoint],
               "touchpoint_reasons": [{"conversation_id": cid, "reason": r} for r in reasons],
               "article_uses": uses, "agent_claims": claims}


TABLES: dict[str, type[Any]] = {
    "conversations": Conversation, "escalations": Escalation, "messages": Message, "events": Event,
    "touchpoints": Touchpoint, "touchpoint_reasons": TouchpointReason, "article_uses": ArticleUse,
    "agent_claims": AgentClaim}


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
            # the escalation ids were given here: the next real one comes after them
            connection.execute(text("SELECT setval(pg_get_serial_sequence('escalations', 'id'), "
                                    "(SELECT coalesce(max(id), 0) + 1 FROM escalations), false)"))
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


def export_to_null(session: Any, since: datetime | None, copy: bool = True) -> int:
    """The export of the window written to /dev/null; its rows (synthetic fields hold no line
    breaks, so a row is a line). ``copy=False``: the csv-writer path even on PostgreSQL."""
    from touchpoints import export

    lines = 0
    with open(os.devnull, "wb") as sink:
        for chunk in export.csv_chunks(session, since, copy=copy):
            sink.write(chunk)
            lines += chunk.count(b"\n")
    return lines - 1   # the header


def deep_page(session: Any, page: int | None, limit: int = 200) -> tuple[datetime, str] | None:
    """The keyset cursor that opens page ``page`` of the all-time list (None: the last page), found
    once with OFFSET before the timing, as the client would hold it from the page before."""
    total = session.scalar(select(func.count()).select_from(Touchpoint))
    skip = (page - 1) * limit if page else max(0, (total - 1) // limit * limit)
    if skip == 0 or skip >= total:
        return None
    row = session.execute(select(Touchpoint.started_at, Touchpoint.conversation_id)
                          .order_by(Touchpoint.started_at.desc(), Touchpoint.conversation_id.desc())
                          .offset(skip - 1).limit(1)).one()
    return row[0], row[1]


def run(url: str, now: datetime, repeats: int = 3) -> list[Timing]:
    """Time every read the dashboard, the export and `candor report` make, and the floor."""
    from sqlalchemy.orm import Session

    from candor.db import get_engine
    from routing import workload
    from touchpoints import analytics, rollups
    from touchpoints.scorer import pending

    month = now - timedelta(days=30)
    session = Session(get_engine(url))
    page_1000, last_page = deep_page(session, 1000), deep_page(session, None)
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
        ("agent workload, all time", lambda: len(workload.agent_workload(session))),
        ("agent workload, last 30 days", lambda: len(workload.agent_workload(session, month))),
        ("touchpoints list, first page", lambda: len(analytics.touchpoint_page(session, month, limit=200))),
        ("touchpoints list, all time, page 1000 (keyset)", lambda: len(analytics.touchpoint_page(
            session, limit=200, after=page_1000)) if page_1000 else 0),
        ("touchpoints list, all time, last page (keyset)", lambda: len(analytics.touchpoint_page(
            session, limit=200, after=last_page)) if last_page else 0),
        ("touchpoints list, all time, page 1000 by OFFSET (not used; for comparison)", lambda: len(session.scalars(
            select(Touchpoint).order_by(Touchpoint.started_at.desc(), Touchpoint.conversation_id.desc())
            .offset(199_800).limit(200)).all())),
        ("CSV export, last 30 days", lambda: export_to_null(session, month)),
        ("CSV export, all time", lambda: export_to_null(session, None)),
        ("candor report (summary + articles + agents, 30 days)", lambda: analytics.summary(session, month)[
            "conversations"] + len(analytics.article_performance(session, month))
            + len(workload.agent_workload(session, month))),
    ]
    if session.get_bind().dialect.name == "postgresql":   # before COPY: the csv writer over a cursor
        reads.insert(-1, ("CSV export, all time, csv writer (before COPY)",
                          lambda: export_to_null(session, None, copy=False)))
    timings = time_reads(reads, repeats, session.commit, once=lambda name: (
        "export, all time" in name) or "rebuild" in name)
    session.close()
    return timings


def bench_analytics(
    conversations: Annotated[int, typer.Option(help="Synthetic conversations to generate.", min=1)] = 10_000,
    database_url: Annotated[str | None, typer.Option(
        help="An empty scratch database (PostgreSQL: create it first); default: a new SQLite file.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 1,
    repeats: Annotated[int, typer.Option(help="Timed calls per read (the median is shown).", min=1)] = 3,
    score: Annotated[int, typer.Option(
        help="Recent conversations marked dirty and re-scored to time the scorer (0: skip).", min=0)] = 2000,
    again: Annotated[bool, typer.Option(
        "--again", help="Time the reads of a database an earlier run generated (migrated to the newest "
                        "schema first), without generating.")] = False,
) -> None:
    """Every dashboard read, the export and the report over N conversations, next to the SQL floor."""
    from candor.db import get_engine
    from candor.migrate import upgrade

    console = Console()
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='candor-bench-')) / 'analytics.db'}"
    upgrade(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        held = connection.scalar(select(func.count()).select_from(Conversation))
    if held and not again:
        console.print(f"[red]{url.split('@')[-1]} already holds conversations: give an empty scratch database "
                      "(or --again to time the reads of one an earlier run generated).[/red]")
        raise typer.Exit(1)
    if again and not held:
        console.print("[red]--again: this database holds no conversations; leave it out to generate them.[/red]")
        raise typer.Exit(1)
    now = datetime(2026, 11, 30)
    if not again:
        began = time.perf_counter()
        counts = generate(engine, conversations, seed, now)
        console.print(f"Generated {conversations:,} conversations on {engine.dialect.name} in "
                      f"{time.perf_counter() - began:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    timings = run(url, now, repeats)
    print_timings(console, f"{held or conversations:,} conversations, {engine.dialect.name}, median of {repeats}",
                  timings)
    if score:
        scoring = Table("pass", "seconds", "conversations/s", title="Scoring throughput (target: >= 50/s)")
        for timing in scoring_throughput(url, now, score):
            scoring.add_row(timing.read, f"{timing.seconds:.3f}", f"{timing.rows:,}")
        console.print(scoring)

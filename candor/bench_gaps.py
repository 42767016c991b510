"""``candor bench gaps``: the dashboard's content-gap read over N stored unanswered questions in a
scratch database, next to a plain SQL GROUP BY over the same rows (the floor), and the job's own
steps at that size (one pass placing a batch of new questions, one re-clustering of the window).

The questions are synthetic and seeded: needs are random directions in the 384-d space, each
question its need plus noise (normalised, as MiniLM's vectors are), a third of them repeated
wordings; they are placed in gaps by the job's own grouping (touchpoints.gaps.Groups) and
bulk-loaded, as the job would have stored them one pass at a time. No model is loaded: the read
never encodes, and the job's pass gets the same synthetic vectors."""

from __future__ import annotations

import hashlib
import random
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine, func, insert, select

from candor.bench_timing import Timing, print_timings, time_reads

if TYPE_CHECKING:   # numpy is imported where used, so `candor --help` stays quick
    import numpy as np

CHUNK = 5000


class SyntheticNeeds:
    """Seeded question texts and vectors: ``needs`` directions, each question near its own."""

    def __init__(self, needs: int, seed: int, spread: float = 0.45) -> None:
        import numpy as np

        rng = np.random.default_rng(seed)
        centres = rng.standard_normal((needs, 384)).astype(np.float32)
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        self.spread, self.rng = spread, rng

    def text(self, need: int, wording: int) -> str:
        return f"synthetic question about need {need}, wording {wording}"

    def vector(self, text: str) -> np.ndarray:
        import numpy as np

        need = int(text.split("need ")[1].split(",")[0])
        noise = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)).standard_normal(
            384).astype(np.float32)
        vector = self.centres[need] + self.spread * noise / np.sqrt(384)
        normalised: np.ndarray = vector / np.linalg.norm(vector)
        return normalised

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        return np.stack([self.vector(t) for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


def generate(engine: Engine, n: int, seed: int, now: datetime, days: int = 90) -> dict[str, int]:
    """``n`` unanswered questions (one conversation each) over ``days`` days, placed in gaps."""
    import numpy as np

    from candor.db import utcnow
    from touchpoints.gap_models import ContentGap, GapProgress, GapQuestion
    from touchpoints.gap_store import digest
    from touchpoints.gaps import Groups, pack
    from touchpoints.models import Conversation

    rng = random.Random(seed)
    needs = SyntheticNeeds(max(1, n // 40), seed)
    groups = Groups([], [])
    rows: list[dict[str, Any]] = []
    vectors: dict[str, bytes] = {}
    for i in range(n):
        need = min(int(rng.paretovariate(1.2)) - 1, len(needs.centres) - 1)   # a few needs asked a lot
        text = needs.text(need, rng.randrange(3) if rng.random() < 0.33 else i)
        if text not in vectors:
            vectors[text] = pack(needs.vector(text))
        gap = groups.add(np.frombuffer(vectors[text], dtype=np.float32))
        at = now - timedelta(seconds=rng.uniform(0, days * 86400))
        rows.append({"conversation_id": f"bench-{i:08d}", "event_id": i + 1, "text": text, "text_hash": digest(text),
                     "vector": vectors[text], "gap_id": gap + 1, "created_at": at})
    with engine.begin() as connection:
        connection.execute(insert(ContentGap), [
            {"id": g + 1, "vector_sum": pack(groups.sums[g]), "members": int(groups.members[g]),
             "representative_id": None, "created_at": now - timedelta(days=days), "checked_revision": 0}
            for g in range(len(groups.members))])
        for start in range(0, n, CHUNK):
            chunk = rows[start:start + CHUNK]
            connection.execute(insert(Conversation), [
                {"id": r["conversation_id"], "token_hash": "bench", "status": "closed", "attributes": {},
                 "created_at": r["created_at"], "updated_at": utcnow()} for r in chunk])
            connection.execute(insert(GapQuestion), [{"id": start + k + 1, **r} for k, r in enumerate(chunk)])
        connection.execute(insert(GapProgress), [{"id": 1, "event_id": n, "since_recluster": 0}])
        if engine.dialect.name == "postgresql":
            for table in ("content_gaps", "gap_questions"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    from sqlalchemy.orm import Session

    from touchpoints.gap_store import _represent
    with Session(engine) as session, session.begin():
        for stored in session.scalars(select(ContentGap)):
            _represent(session, stored)
    if engine.dialect.name == "postgresql":   # as autovacuum would after a load this size
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    return {"questions": n, "distinct wordings": len(vectors), "gaps": len(groups.members)}


def new_questions(engine: Engine, count: int, seed: int, now: datetime, first_id: int, needs: int) -> None:
    """``count`` question events in new conversations, as the bot logs them: the job's next input
    (ids after the ``first_id - 1`` events the stored questions stand for)."""
    from touchpoints.models import Conversation, Event

    rng = random.Random(seed + 1)
    words = SyntheticNeeds(1, seed)
    with engine.begin() as connection:
        ids = [f"bench-new-{seed}-{i}" for i in range(count)]
        connection.execute(insert(Conversation), [{"id": c, "token_hash": "bench", "status": "bot", "attributes": {},
                                                   "created_at": now, "updated_at": now} for c in ids])
        connection.execute(insert(Event), [
            {"id": first_id + k, "conversation_id": c, "kind": "unsure", "created_at": now,
             "data": {"question": words.text(rng.randrange(needs), rng.randrange(10**9)), "rephrased": False}}
            for k, c in enumerate(ids)])


def run(url: str, n: int, now: datetime, seed: int, repeats: int) -> list[Timing]:
    from sqlalchemy.orm import Session

    from candor.db import get_engine, session_scope
    from touchpoints import gap_reads, gap_store
    from touchpoints.gap_models import GapQuestion

    engine = get_engine(url)
    month = now - timedelta(days=30)
    session = Session(engine)
    needs = SyntheticNeeds(max(1, n // 40), seed)
    reads: list[tuple[str, Callable[[], int]]] = [
        ("floor: plain SQL GROUP BY gap (all time)", lambda: len(session.execute(
            select(GapQuestion.gap_id, func.count()).group_by(GapQuestion.gap_id)).all())),
        ("content gaps, last 30 days (dashboard default)", lambda: len(gap_reads.read_gaps(session, month))),
        ("content gaps, all time", lambda: len(gap_reads.read_gaps(session))),
        ("job's idle check (nothing new)", lambda: int(gap_reads.idle(session, 0))),
    ]
    timings = time_reads(reads, repeats, session.commit)
    session.close()
    new_questions(engine, gap_store.BATCH, seed, now, first_id=n + 1, needs=len(needs.centres))
    began = time.perf_counter()
    report = gap_store.run_pass(lambda: session_scope(url), needs.encode, now=now)
    timings.append(Timing(f"job pass: read, embed and place {gap_store.BATCH} new questions "
                          "(synthetic vectors, no model)", time.perf_counter() - began, report.embedded))
    with session_scope(url) as scoped:
        began = time.perf_counter()
        moved = gap_store.recluster(scoped)
        timings.append(Timing(f"job: re-cluster the newest {gap_store.WINDOW:,} questions",
                              time.perf_counter() - began, moved))
    return timings


def bench_gaps(
    questions: Annotated[int, typer.Option(help="Stored unanswered questions to generate.", min=1)] = 100_000,
    database_url: Annotated[str | None, typer.Option(
        help="An empty scratch database (PostgreSQL: create it first); default: a new SQLite file.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 1,
    repeats: Annotated[int, typer.Option(help="Timed calls per read (the median is shown).", min=1)] = 3,
) -> None:
    """The content-gap read over N stored questions, next to the SQL floor, and the job's steps."""
    from candor.db import get_engine
    from candor.migrate import upgrade
    from touchpoints.gap_models import GapQuestion

    console = Console()
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='candor-bench-')) / 'gaps.db'}"
    upgrade(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        if connection.scalar(select(func.count()).select_from(GapQuestion)):
            console.print(f"[red]{url.split('@')[-1]} already holds questions: give an empty scratch database.[/red]")
            raise typer.Exit(1)
    now = datetime(2026, 11, 30)
    began = time.perf_counter()
    counts = generate(engine, questions, seed, now)
    console.print(f"Generated on {engine.dialect.name} in {time.perf_counter() - began:.0f} s: "
                  + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    timings = run(url, questions, now, seed, repeats)
    print_timings(console, f"{questions:,} stored questions, {engine.dialect.name}, reads: median of {repeats}",
                  timings, first_column="step")

"""`candor bench analytics`: its arithmetic, and that the data it writes is what the reads expect."""

import mmap
import random
import time
from datetime import datetime

import pytest

from candor.bench_analytics import conversation_rows, generate, run
from candor.bench_timing import PeakMemory, median_time, versus_floor

pytestmark = pytest.mark.unit


def test_median_time_and_the_ratio_to_the_floor():
    ticks = iter([0.0, 1.0, 1.0, 4.0, 4.0, 6.0])   # three calls taking 1, 3 and 2 seconds

    import candor.bench_timing as bench
    real = bench.time.perf_counter
    bench.time.perf_counter = lambda: next(ticks)
    try:
        assert median_time(lambda: 7, 3) == (2.0, 7)
    finally:
        bench.time.perf_counter = real
    assert versus_floor(0.5, 0.25) == "2.0x" and versus_floor(0.25, 0.25) == "1.0x"
    assert versus_floor(1.0, 0.0) == "–"


def test_each_conversation_is_schema_true():
    rows = list(conversation_rows(200, random.Random(4), datetime(2026, 1, 1), 30))
    assert all(4 <= len(r["messages"]) <= 9 and 4 <= len(r["events"]) <= 9 for r in rows)
    for r in rows:
        [touchpoint] = r["touchpoints"]
        assert touchpoint["escalated"] == bool(r["agent_claims"]) == bool(r["touchpoint_reasons"])
        # The escalation row keeps the first reply: the agent's message in the transcript, at that time.
        assert [e["id"] for e in r["escalations"]] == [c["escalation_id"] for c in r["agent_claims"]]
        for escalation in r["escalations"]:
            agent_messages = [m["created_at"] for m in r["messages"] if m["sender"] == "agent"]
            assert agent_messages == ([escalation["first_reply_at"]] if escalation["first_reply_at"] else [])
            if escalation["first_reply_at"] and escalation["closed_at"]:   # replies come while it is held
                assert escalation["claimed_at"] <= escalation["first_reply_at"] <= escalation["closed_at"]
        assert sorted(x["reason"] for x in r["touchpoint_reasons"]) == touchpoint["escalation_reasons"]
        assert touchpoint["articles"] == sorted({u["article_id"] for u in r["article_uses"]})
        assert touchpoint["started_at"] <= touchpoint["last_activity_at"]
    # Seeded: the same seed gives the same data.
    again = list(conversation_rows(200, random.Random(4), datetime(2026, 1, 1), 30))
    assert [r["touchpoints"][0]["conversation_id"] for r in again] == [r["touchpoints"][0]["conversation_id"]
                                                                        for r in rows]


def test_a_small_run_reads_what_it_generated(tmp_path):
    from candor.db import get_engine
    from candor.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    now = datetime(2026, 11, 30)
    counts = generate(get_engine(url), 300, seed=2, now=now, days=60)
    assert counts["conversations"] == counts["touchpoints"] == 300
    timings = {t.read: t for t in run(url, now, repeats=1)}
    assert timings["summary, all time"].rows == 300 == timings["CSV export, all time"].rows
    assert timings["change check (pending)"].rows == 0      # loaded scored: nothing to do
    assert 0 < timings["summary, last 30 days"].rows == timings["CSV export, last 30 days"].rows < 300
    assert all(t.seconds >= 0 and t.memory_mb is not None for t in timings.values())
    assert 20 <= timings["agent workload, all time"].rows <= 25   # of 25 agents, ~75 claims
    assert timings["touchpoints list, all time, last page (keyset)"].rows == 100   # 300 = 200 + 100
    assert timings["touchpoints list, all time, page 1000 (keyset)"].rows == 0     # no such page


def test_peak_memory_sees_what_a_read_holds():
    with PeakMemory() as small:
        sum(range(1000))
    with PeakMemory() as large:
        touch_fresh_pages(64 * 2**20, hold_s=0)
    assert small.over_start_mb < 16 and large.over_start_mb >= 60


def touch_fresh_pages(size: int, hold_s: float) -> None:
    """Pages the process never had: an anonymous map of its own, not malloc, which after a long test
    session reuses memory freed earlier and still resident (so resident memory would not grow)."""
    block = mmap.mmap(-1, size)
    for offset in range(0, size, mmap.PAGESIZE):
        block[offset] = 1
    time.sleep(hold_s)
    block.close()


def test_peak_memory_samples_where_the_kernel_peak_cannot_be_reset(monkeypatch):
    import candor.bench_timing as bench_timing
    monkeypatch.setattr(bench_timing, "_reset_peak", lambda: False)
    with PeakMemory() as large:
        touch_fresh_pages(64 * 2**20, hold_s=0.05)   # held long enough for the sampling thread to see it
    assert large.over_start_mb >= 60


def test_conversations_per_second():
    from candor.bench_analytics import per_second

    assert per_second(2000, 40.0) == 50.0 and per_second(10, 0.5) == 20.0
    assert per_second(5, 0.0) == 0.0


def test_the_scorer_clears_every_mark_it_is_timed_on(tmp_path):
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from candor.bench_analytics import scoring_throughput
    from candor.db import get_engine
    from candor.migrate import upgrade
    from touchpoints.models import TouchpointDirty

    url = f"sqlite:///{tmp_path / 'score.db'}"
    upgrade(url)
    now = datetime(2026, 11, 30)
    generate(get_engine(url), 120, seed=3, now=now, days=30)
    floor, scoring = scoring_throughput(url, now, 50)
    assert "50 dirty conversations (50 scored)" in scoring.read and scoring.rows > 0 and floor.rows > 0
    with Session(get_engine(url)) as session:
        assert session.scalar(select(func.count()).select_from(TouchpointDirty)) == 0

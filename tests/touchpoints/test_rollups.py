"""The rollup path gives the figures the direct path gives, on SQLite and PostgreSQL, for windows
that start and end mid-day, on whole days and open-ended; a deleted touchpoint leaves the rollups."""

import random
from datetime import datetime, timedelta

import pytest
from analytics_reference import agent_workload, article_stats, seed, summary

from routing import workload
from touchpoints import analytics, rollups
from touchpoints.journey import load_journey
from touchpoints.models import Touchpoint
from touchpoints.scorer import score_pending

pytestmark = pytest.mark.unit
START = datetime(2031, 3, 1, 0, 0)   # a stretch of days no other test writes to
WINDOWS = [(START, START + timedelta(days=4)),
           (START + timedelta(hours=5, minutes=7), START + timedelta(days=2, hours=3)),
           (START + timedelta(days=1, hours=1), START + timedelta(days=1, hours=20)),
           (START + timedelta(hours=13), None), (START - timedelta(days=1), START + timedelta(days=2, minutes=1))]


def _articles(rows: list[dict], ours: set[str]) -> dict[str, list[int]]:
    return {r["article_id"]: [r["used"], r["helpful"], r["unhelpful"], r["escalations_after"]]
            for r in rows if r["article_id"] in ours}


def test_rollups_match_the_direct_figures(db):
    ids, agents = seed(db, START, 80, random.Random(20))
    now = START + timedelta(days=6)
    while score_pending(db, now, load_journey()):
        pass
    assert db.get(Touchpoint, ids[0]) is not None
    for since, until in WINDOWS:
        assert analytics.summary(db, since, until) == summary(db, since, until), (since, until)
        expected = article_stats(db, since, until)
        assert _articles(analytics.article_performance(db, since, until), set(expected)) == expected
    # Agent workload, from the escalation rows: claims from the window's start on (the old path
    # filtered transitions by time and read the replies from the transcript).
    for since in (START, START + timedelta(days=1, hours=7)):
        mine = [row for row in workload.agent_workload(db, since) if row["agent"] in agents]
        assert mine == [row for row in agent_workload(db, since) if row["agent"] in agents]
        assert mine and any(row["median_first_response_s"] for row in mine)
    # A full rebuild gives the same rollups as the incremental upkeep.
    before = analytics.summary(db, START, START + timedelta(days=4))
    rollups.rebuild(db)
    assert analytics.summary(db, START, START + timedelta(days=4)) == before


def test_an_erased_touchpoint_leaves_its_day(db):
    ids, _ = seed(db, START + timedelta(days=20), 6, random.Random(3))
    now = START + timedelta(days=30)
    while score_pending(db, now, load_journey()):
        pass
    window = (START + timedelta(days=19), START + timedelta(days=25))
    before = analytics.summary(db, *window)["conversations"]
    db.delete(db.get(Touchpoint, ids[0]))
    db.flush()
    score_pending(db, now, load_journey())
    assert analytics.summary(db, *window)["conversations"] == before - 1 == summary(db, *window)["conversations"]


def test_a_conversation_is_scored_once_per_change_and_reads_do_not_score(db):
    ids, _ = seed(db, START + timedelta(days=40), 3, random.Random(5))
    now = START + timedelta(days=50)
    while score_pending(db, now, load_journey()):
        pass
    assert all(db.get(Touchpoint, i) for i in ids)
    from touchpoints.scorer import pending
    assert not set(ids) & set(pending(db, now))
    from touchpoints import conversations
    conversations.append(db, ids[1], "customer", "one more thing")
    db.flush()
    assert ids[1] in pending(db, now) and ids[0] not in pending(db, now)

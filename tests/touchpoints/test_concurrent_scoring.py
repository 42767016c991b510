"""Two scorers at once (two web workers' background rounds) count every conversation exactly once,
on SQLite and PostgreSQL."""

import random
import threading
import time
from datetime import datetime, timedelta

import pytest
from analytics_reference import seed, summary
from sqlalchemy import func, select

from touchpoints import analytics
from touchpoints.journey import load_journey
from touchpoints.models import TouchpointDaily, TouchpointDirty
from touchpoints.scorer import score_pending

pytestmark = pytest.mark.unit


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, database):
    return database if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def test_two_scorers_at_once_count_each_conversation_once(url):
    from candor.db import get_sessionmaker

    start = datetime(2032, 5, 1)
    now = start + timedelta(days=10)
    make = get_sessionmaker(url)
    with make() as session:
        ids, _ = seed(session, start, 60, random.Random(9))
        session.commit()
    barrier, errors, scored = threading.Barrier(2), [], []

    def worker() -> None:
        try:
            with make() as session:
                barrier.wait()
                # As the background loop does: an empty pass can mean the other scorer holds the
                # rest (SKIP LOCKED), so go on until nothing of ours is dirty, not at the first 0.
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    batch = score_pending(session, now, load_journey(), limit=7)
                    session.commit()
                    scored.append(batch)
                    if not batch:
                        if not session.scalar(select(func.count()).select_from(TouchpointDirty)
                                              .where(TouchpointDirty.conversation_id.in_(ids))):
                            break
                        time.sleep(0.05)
        except Exception as error:  # reported below: an IntegrityError here was the old race
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(scored) >= len(ids)   # every one scored (a conversation may be scored again, never lost)
    window = (start, start + timedelta(days=4))
    with make() as session:
        assert not session.scalar(select(func.count()).select_from(TouchpointDirty)
                                  .where(TouchpointDirty.conversation_id.in_(ids)))
        counted = session.scalar(select(func.sum(TouchpointDaily.conversations)).where(
            TouchpointDaily.day >= window[0].date(), TouchpointDaily.day < window[1].date()))
        assert counted == len(ids)
        assert analytics.summary(session, *window) == summary(session, *window)

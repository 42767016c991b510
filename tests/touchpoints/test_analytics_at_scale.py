"""Every analytics read over more than 70,000 conversations on PostgreSQL: none binds a list of ids
(the old agent workload put one id per escalation in an IN list and broke PostgreSQL's 65,535
parameter limit past ~70k conversations), and the figures add up to what was generated."""

from datetime import datetime, timedelta

import pytest
from pg_scratch import scratch_postgres
from sqlalchemy import event, func, select

from candor.bench_analytics import export_to_null, generate
from routing import workload
from routing.models import Escalation
from touchpoints import analytics, rollups
from touchpoints.models import Touchpoint
from touchpoints.scorer import pending

pytestmark = [pytest.mark.unit, pytest.mark.slow, pytest.mark.postgres]
N = 70_001


@pytest.fixture(scope="module")
def big_url():
    from candor.db import get_engine

    with scratch_postgres("candor_scale") as url:
        generate(get_engine(url), N, seed=7, now=datetime(2026, 11, 30), days=90)
        yield url


def test_every_read_over_70k_conversations(big_url):
    from sqlalchemy.orm import Session

    from candor.db import get_engine

    engine = get_engine(big_url)
    most_parameters = [0]

    def count(_conn, _cursor, _statement, parameters, _context, executemany) -> None:
        if not executemany:
            most_parameters[0] = max(most_parameters[0], len(parameters or ()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        now, month = datetime(2026, 11, 30), datetime(2026, 10, 31)
        with Session(engine) as session:
            assert rollups.rebuild(session) >= 89
            assert pending(session, now) == []
            assert analytics.summary(session)["conversations"] == N
            assert analytics.summary(session, month)["conversations"] == session.scalar(
                select(func.count()).select_from(Touchpoint).where(Touchpoint.started_at >= month))
            used = sum(row["used"] for row in analytics.article_performance(session))
            assert used > N   # more than one answer per conversation on average
            agents = workload.agent_workload(session)
            assert sum(a["escalations_handled"] for a in agents) == session.scalar(
                select(func.count()).select_from(Escalation)) > 15_000
            assert workload.agent_workload(session, month) and analytics.article_performance(session, month)
            assert len(analytics.touchpoint_page(session, month, limit=200)) == 200
            assert export_to_null(session, month) == analytics.summary(session, month)["conversations"]
            assert analytics.summary(session, now - timedelta(hours=30), now - timedelta(hours=2))["conversations"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert most_parameters[0] < 50   # no statement binds a list that grows with the data

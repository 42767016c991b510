"""candor bench gaps: its data is what the job would have stored, and its steps do the work they name."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from candor import bench_gaps
from candor.db import get_engine, session_scope
from candor.migrate import upgrade
from touchpoints import gap_reads, gap_store
from touchpoints.gap_models import ContentGap, GapQuestion

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 30)


def test_the_bench_stores_placed_questions_and_times_a_real_pass(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    counts = bench_gaps.generate(get_engine(url), 600, seed=3, now=NOW)
    assert counts["questions"] == 600 and 1 < counts["gaps"] < counts["distinct wordings"] <= 600
    with session_scope(url) as session:
        members = session.scalar(select(func.sum(ContentGap.members)))
        placed = session.scalar(select(func.count()).select_from(GapQuestion).where(GapQuestion.gap_id.is_not(None)))
        assert members == placed == 600
        assert session.scalar(select(func.count()).select_from(ContentGap)
                              .where(ContentGap.representative_id.is_(None))) == 0
        read = gap_reads.read_gaps(session)
        assert [g["size"] for g in read] == sorted((g["size"] for g in read), reverse=True)
        assert read[0]["size"] > read[-1]["size"] and all(1 <= len(g["questions"]) <= 10 for g in read)
    timings = {t.read: (t.seconds, t.rows) for t in bench_gaps.run(url, 600, NOW, seed=3, repeats=1)}
    [placed_now] = [rows for name, (_, rows) in timings.items() if name.startswith("job pass")]
    assert placed_now == gap_store.BATCH
    assert all(seconds >= 0 for seconds, _ in timings.values())


def test_the_synthetic_wordings_are_seeded():
    one, two = bench_gaps.SyntheticNeeds(5, seed=1), bench_gaps.SyntheticNeeds(5, seed=1)
    text = one.text(2, 7)
    assert (one.vector(text) == two.vector(text)).all() and abs(float(one.vector(text) @ one.vector(text)) - 1) < 1e-5

"""Stored content gaps: which questions count, where a new one goes, re-clustering, closing, erasure.

Each test gets a database of its own (the job reads every question event in the database)."""

from datetime import datetime, timedelta
from itertools import count

import numpy as np
import pytest
from pg_scratch import scratch_postgres

from candor.db import session_scope
from candor.migrate import upgrade
from touchpoints import gap_reads, gap_store
from touchpoints.gap_models import ContentGap, GapQuestion
from touchpoints.gaps import DIM, Groups, cluster_questions
from touchpoints.models import Conversation, Event
from touchpoints.unanswered import unanswered

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 2, 9, 0)
_ids = count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """A fresh database on SQLite, and one on the PostgreSQL service on loopback."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gaps.db'}"
        upgrade(url)
        yield url
        return
    with scratch_postgres("candor_gaps") as url:
        yield url


@pytest.fixture
def scope(url):
    return lambda: session_scope(url)


def log(scope, conversation: str, *events: tuple[str, dict]) -> None:
    """The conversation (created when new) and its events, a minute apart."""
    with scope() as session:
        if session.get(Conversation, conversation) is None:
            session.add(Conversation(id=conversation, token_hash="x"))
        for kind, data in events:
            n = next(_ids)
            session.add(Event(conversation_id=conversation, kind=kind, data=data, created_at=T0 + timedelta(minutes=n)))


def unsure(q: str, rephrased: bool = False) -> tuple[str, dict]:
    return "unsure", {"question": q, "rephrased": rephrased}


def answer(q: str, rephrased: bool = False) -> tuple[str, dict]:
    return "answer", {"question": q, "rephrased": rephrased, "article_id": "a"}


def feedback(helpful: bool) -> tuple[str, dict]:
    return "feedback", {"helpful": helpful, "article_id": "a"}


@pytest.mark.parametrize("events, gaps", [
    ([unsure("q1")], ["q1"]),
    ([answer("q1"), feedback(True)], []),
    ([answer("q1"), feedback(False)], ["q1"]),
    ([answer("q1"), feedback(False), feedback(False)], ["q1"]),              # one rating, one question
    ([unsure("q1"), answer("q2", rephrased=True)], []),                      # answered after an unsure try
    ([unsure("q1"), answer("q2", rephrased=True), feedback(True)], []),
    ([unsure("q1"), answer("q2", rephrased=True), feedback(False)], ["q1", "q2"]),
    ([unsure("q1"), unsure("q2", rephrased=True), answer("q3", rephrased=True)], []),
    ([unsure("q1"), unsure("q2"), answer("q3", rephrased=True)], ["q1"]),    # only q2 was asked again
    ([unsure("q1"), answer("q2")], ["q1"]),                                  # a new topic, q1 still open
    ([unsure("q1"), unsure("q1 again", rephrased=True)], ["q1", "q1 again"]),
])
def test_which_questions_the_bot_did_not_answer(events, gaps):
    timed = [(i, kind, data, T0) for i, (kind, data) in enumerate(events)]
    assert [a.text for a in unanswered(timed)] == gaps


def unit(*weights: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[:len(weights)] = weights
    return vector / np.linalg.norm(vector)


@pytest.mark.parametrize("vector, joins", [
    (unit(1, 0), 0),            # distance 0 from group 0
    (unit(1, 1), 0),            # 0.29: within 0.6
    (unit(0.3, 1), 1),          # nearer group 1
    (unit(0, 0, 1), None),      # 1.0 from both: a new group
    (unit(-1, 0), None),        # 2.0: a new group
])
def test_a_question_joins_the_nearest_group_within_the_distance(vector, joins):
    groups = Groups([unit(1, 0) * 2, unit(0, 1) * 3], [2, 3])
    index, distance = groups.nearest(vector)
    assert index == joins
    added = groups.add(vector)
    assert added == (2 if joins is None else joins)
    assert groups.members[added] == (1 if joins is None else [2, 3][joins] + 1)


def test_a_spread_group_is_joined_by_its_average_distance_not_its_nearest_member():
    # Members at distance 0 and 1.0 from the newcomer: average linkage says 0.5 (joins), at 0.6 the limit.
    groups = Groups([unit(1, 0) + unit(0, 1)], [2])
    assert groups.nearest(unit(1, 0))[0] == 0
    assert groups.nearest(unit(0, 0, 1))[0] is None


def table(scope, since=None) -> list[tuple[str, int, list[str]]]:
    with scope() as session:
        return [(g["representative"], g["size"], g["questions"]) for g in gap_reads.read_gaps(session, since)]


class Vectors:
    """Stand-in for MiniLM in the assignment tests: chosen vectors, and a count of texts encoded."""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table, self.encoded = table, []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.encoded += texts
        return np.stack([self.table[t] for t in texts])


def test_near_joins_far_starts_a_gap_and_each_question_is_embedded_once(scope):
    encode = Vectors({"pause": unit(1, 0), "suspend": unit(1, 0.3), "gift": unit(0, 1)})
    log(scope, "c1", unsure("pause"))
    log(scope, "c2", unsure("gift"))
    report = gap_store.run_pass(scope, encode)
    assert (report.added, report.embedded, report.new_gaps) == (2, 2, 2)
    log(scope, "c3", unsure("suspend"))
    log(scope, "c4", unsure("pause"))
    report = gap_store.run_pass(scope, encode)
    assert (report.added, report.embedded, report.new_gaps) == (2, 2, 0)
    assert sorted(encode.encoded) == ["gift", "pause", "suspend"]            # "pause" asked twice, encoded once
    assert table(scope) == [("pause", 3, ["pause", "suspend"]), ("gift", 1, ["gift"])]
    assert gap_store.run_pass(scope, encode).added == 0                      # nothing new: nothing done
    with scope() as session:
        assert gap_reads.caught_up(session)
        assert table(scope, since=T0 + timedelta(minutes=1_000_000)) == []   # the window is honoured


def test_a_question_answered_after_an_unsure_try_leaves_its_gap(scope):
    encode = Vectors({"pause": unit(1, 0), "pause it": unit(1, 0.1), "gift": unit(0, 1)})
    log(scope, "c1", unsure("pause"))
    log(scope, "c2", unsure("gift"))
    gap_store.run_pass(scope, encode)
    assert [size for _, size, _ in table(scope)] == [1, 1]
    log(scope, "c1", answer("pause it", rephrased=True))    # the next try is answered
    report = gap_store.run_pass(scope, encode)
    assert report.removed == 1 and table(scope) == [("gift", 1, ["gift"])]
    with scope() as session:
        assert session.query(ContentGap).count() == 1        # the emptied gap went
    log(scope, "c1", feedback(False))                        # ... but that answer did not help after all
    gap_store.run_pass(scope, encode)
    assert table(scope) == [("pause", 2, ["pause it", "pause"]), ("gift", 1, ["gift"])]   # newest wording first


def test_reclustering_the_window_undoes_an_order_effect(scope, monkeypatch):
    # At 0°, 30° and 70° on a circle: a then c start two gaps (0.66 apart); b joins a's (0.13 from a,
    # 0.23 from c). Together, a, b and c are one group ({a, b} to c: 0.45 on average), as
    # cluster_questions says.
    a, b, c = (unit(np.cos(np.radians(d)), np.sin(np.radians(d))) for d in (0, 30, 70))
    encode = Vectors({"a": a, "b": b, "c": c})
    assert [g.questions for g in cluster_questions(["a", "b", "c"], encode)] == [["a", "b", "c"]]
    for n, q in enumerate("acb"):
        log(scope, f"c{n}", unsure(q))
        gap_store.run_pass(scope, encode)
    assert len(table(scope)) == 2
    monkeypatch.setattr(gap_store, "RECLUSTER_AFTER", 3)
    log(scope, "c9", unsure("b"))
    report = gap_store.run_pass(scope, encode)
    assert report.reclustered >= 1
    [(representative, size, questions)] = table(scope)
    assert representative == "b" and size == 4 and sorted(questions) == ["a", "b", "c"]
    with scope() as session:
        [gap] = session.query(ContentGap).all()
        assert gap.members == 4
        assert np.allclose(np.frombuffer(gap.vector_sum, dtype=np.float32), a + 2 * b + c, atol=1e-6)


def test_erasing_a_conversation_takes_its_questions_out(scope, monkeypatch):
    encode = Vectors({"pause": unit(1, 0), "suspend": unit(1, 0.3)})
    log(scope, "c1", unsure("pause"))
    log(scope, "c2", unsure("suspend"))
    gap_store.run_pass(scope, encode)
    [(representative, _, _)] = table(scope)
    with scope() as session:
        erased = session.scalar(
            GapQuestion.__table__.select().with_only_columns(GapQuestion.conversation_id)
            .where(GapQuestion.text == representative))
        session.delete(session.get(Conversation, erased))
    [(left, size, questions)] = table(scope)
    assert size == 1 and questions == [left] and left != representative     # never shows erased words
    monkeypatch.setattr(gap_store, "RECLUSTER_AFTER", 0)
    gap_store.run_pass(scope, encode)
    with scope() as session:
        [gap] = session.query(ContentGap).all()
        assert gap.members == 1 and session.get(GapQuestion, gap.representative_id).text == left


SEEDED = [   # tests/touchpoints/test_gaps.py's development set, asked in this order
    "can I pause my broadband while I travel abroad", "do you offer a discount for students",
    "is it possible to suspend my internet for 3 months", "can I get a static IP address",
    "student discount available?", "pause my contract while I'm away for the summer",
    "how do I get a fixed IP address for my server", "is there cheaper broadband for students",
    "do you sell gift vouchers", "student discount available?",
]


@pytest.mark.parametrize("url", ["sqlite"], indirect=True)   # the model is the slow part: one database
def test_stored_gaps_match_clustering_them_all_at_once(scope, embedder, monkeypatch):
    for n, question in enumerate(SEEDED):
        log(scope, f"s{n}", unsure(question))
        gap_store.run_pass(scope, embedder.encode_transient)    # one at a time: the incremental path
    at_once = cluster_questions(SEEDED, embedder.encode_transient)
    stored = table(scope)
    assert [(size, sorted(q)) for _, size, q in stored] == [(g.size, sorted(g.questions)) for g in at_once]
    # The one difference, by design: a stored gap's mean counts every asking, so the question asked
    # twice represents the students' gap; clustering at once weighs each wording once.
    assert [r for r, _, _ in stored] == ["student discount available?"] + [g.representative for g in at_once[1:]]
    assert at_once[0].representative == "do you offer a discount for students"
    monkeypatch.setattr(gap_store, "RECLUSTER_AFTER", 0)
    assert gap_store.run_pass(scope, embedder.encode_transient).reclustered == 0   # nothing to move
    assert table(scope) == stored


@pytest.mark.parametrize("url", ["sqlite"], indirect=True)   # the model is the slow part: one database
def test_a_gap_closes_when_an_article_published_after_it_answers_it(scope, url, embedder):
    from knowledge.articles import ArticleIn
    from knowledge.calibration import load_calibration
    from knowledge.live import LiveKnowledge
    from knowledge.search import KnowledgeSearch
    from knowledge.store import ArticleStore

    knowledge = LiveKnowledge(KnowledgeSearch(embedder, load_calibration()), url)
    with scope() as session:
        ArticleStore(session).save(ArticleIn(
            id="gift-cards", title="Gift cards", kind="policy", status="published",
            body="We do not sell gift cards or vouchers.", questions=["do you sell gift cards"]))
    log(scope, "c1", unsure("can I pause my broadband while I travel abroad"))
    log(scope, "c2", unsure("do you sell gift vouchers"))
    gap_store.run_pass(scope, embedder.encode_transient, knowledge.search)
    assert len(table(scope)) == 2                               # the article older than the gap closes none
    with scope() as session:
        ArticleStore(session).save(ArticleIn(
            id="pause-abroad", title="Pausing your broadband while you are away", kind="policy", status="published",
            body="You can pause your broadband for up to three months while you travel; the line stays yours.",
            questions=["can I pause my broadband while I travel", "can I suspend my internet while abroad"]))
    report = gap_store.run_pass(scope, embedder.encode_transient, knowledge.search)
    assert report.closed == 1 and [r for r, _, _ in table(scope)] == ["do you sell gift vouchers"]
    with scope() as session:
        closed = session.query(ContentGap).filter(ContentGap.closed_at.is_not(None)).one()
        assert closed.closed_by == "pause-abroad"
    log(scope, "c3", unsure("can I pause my broadband while I travel abroad"))   # asked again, still unanswered
    gap_store.run_pass(scope, embedder.encode_transient, knowledge.search)
    assert [size for _, size, _ in table(scope)] == [1, 1]      # a new gap, not the closed one

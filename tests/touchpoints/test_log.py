import uuid

import pytest

from touchpoints import log
from touchpoints.sentiment import sentiment

pytestmark = pytest.mark.unit


RUNS = [
        ([], 0),
        ([("answer", {})], 0),
        ([("unsure", {})], 1),
        ([("unsure", {}), ("unsure", {})], 2),
        ([("answer", {}), ("feedback", {"helpful": False})], 1),
        ([("unsure", {}), ("answer", {}), ("feedback", {"helpful": False})], 2),
        ([("unsure", {}), ("answer", {}), ("feedback", {"helpful": True})], 0),
        ([("unsure", {}), ("answer", {}), ("unsure", {})], 1),
        # Asking again in other words says the answer before did not help.
        ([("answer", {}), ("answer", {"rephrased": True})], 0),  # the second answer landed: run over
        ([("answer", {}), ("unsure", {"rephrased": True})], 2),
        ([("answer", {}), ("answer", {"rephrased": False})], 0),
        # …and the turn being decided now can say it of the latest answer.
        ([("answer", {}), ("answer", {"rephrased": True}), "now"], 2),
        ([("answer", {}), ("answer", {}), "now"], 1),
        ([("answer", {}), ("feedback", {"helpful": True}), "now"], 0),
        # Tone is never sticky: a person's help, a rating or leaving the queue starts a clean slate.
        ([("unsure", {}), ("unsure", {}), ("resolved", {"return_to_bot": True})], 0),
        ([("unsure", {}), ("answer", {}), ("feedback", {"helpful": False}), ("resolved", {}),
          ("rating", {"score": 4})], 0),
        ([("unsure", {}), ("unsure", {}), ("escalation_withdrawn", {})], 0),
        ([("unsure", {}), ("resolved", {}), ("unsure", {})], 1),
        ([("unsure", {}), ("unsure", {}), ("rating", {"score": 4}), "now"], 0),
]


@pytest.mark.parametrize(("events", "expected"), RUNS)
def test_failures_in_a_row(session, events, expected):
    assert failures(session, events) == expected


def test_failures_in_a_row_on_postgresql(postgres_url):
    # The flags are read inside the database (JSON operators differ between SQLite and PostgreSQL).
    from candor.db import get_sessionmaker

    with get_sessionmaker(postgres_url)() as session:
        assert [failures(session, events) for events, _ in RUNS] == [expected for _, expected in RUNS]
        session.rollback()


def failures(session, events) -> int:
    conversation = str(uuid.uuid4())
    latest_failed = events[-1:] == ["now"]
    for kind, data in events[:-1] if latest_failed else events:
        log.record(session, conversation, kind, **data)
    session.flush()
    return log.failures_in_a_row(session, conversation, latest_failed=latest_failed)


@pytest.mark.parametrize(("text", "negative"), [("I hate this stupid bot", True),
                                                 ("how much does installation cost?", False),
                                                 ("thanks, that's great", False)])
def test_sentiment_sign(text, negative):
    assert (sentiment(text) <= -0.5) is negative


def appenders(url: str, writers: int = 6, each: int = 25) -> list:
    """Writers append to one conversation at once; returns its transcript."""
    import threading

    from candor.db import get_sessionmaker
    from touchpoints import conversations

    make = get_sessionmaker(url)
    with make() as session:
        conversation, _ = conversations.create(session)
        session.commit()
    errors, start = [], threading.Barrier(writers)

    def writer(name: str) -> None:
        start.wait()
        for i in range(each):
            try:
                with make() as own:
                    conversations.append(own, conversation.id, "agent", f"{name}-{i}")
                    own.commit()
            except Exception as error:  # collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with make() as session:
        return [(m.seq, m.text) for m in conversations.transcript(session, conversation.id)]


def test_concurrent_writers_to_one_conversation_lose_nothing_on_sqlite(database):
    """Customer, agent and the SLA watcher can append at once; every message keeps a place."""
    messages = appenders(database)
    assert [seq for seq, _ in messages] == list(range(1, 151))
    assert len({text for _, text in messages}) == 150


@pytest.mark.postgres
def test_concurrent_writers_to_one_conversation_lose_nothing_on_postgresql(postgres_url):
    messages = appenders(postgres_url)
    assert [seq for seq, _ in messages] == list(range(1, 151))
    assert len({text for _, text in messages}) == 150

import uuid

import pytest

from touchpoints import log
from touchpoints.sentiment import sentiment

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("events", "expected"),
    [
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
    ],
)
def test_failures_in_a_row(session, events, expected):
    conversation = str(uuid.uuid4())
    latest_failed = events[-1:] == ["now"]
    for kind, data in events[:-1] if latest_failed else events:
        log.record(session, conversation, kind, **data)
    session.flush()
    assert log.failures_in_a_row(session, conversation, latest_failed=latest_failed) == expected


@pytest.mark.parametrize(("text", "negative"), [("I hate this stupid bot", True),
                                                 ("how much does installation cost?", False),
                                                 ("thanks, that's great", False)])
def test_sentiment_sign(text, negative):
    assert (sentiment(text) <= -0.5) is negative

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
    ],
)
def test_failures_in_a_row(session, events, expected):
    conversation = str(uuid.uuid4())
    for kind, data in events:
        log.record(session, conversation, kind, **data)
    session.flush()
    assert log.failures_in_a_row(session, conversation) == expected


@pytest.mark.parametrize(("text", "negative"), [("I hate this stupid bot", True),
                                                 ("how much does installation cost?", False),
                                                 ("thanks, that's great", False)])
def test_sentiment_sign(text, negative):
    assert (sentiment(text) <= -0.5) is negative

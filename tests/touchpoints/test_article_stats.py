import secrets

import pytest

from touchpoints import log
from touchpoints.article_stats import article_stats

pytestmark = pytest.mark.unit


def test_uses_clicks_and_escalations_after_are_counted_per_article(session):
    a, b = f"a-{secrets.token_hex(3)}", f"b-{secrets.token_hex(3)}"
    one, two, three = (secrets.token_hex(4) for _ in range(3))
    # Conversation one: answered from a (helpful), then from b (not helpful), then escalated.
    log.record(session, one, "answer", article_id=a)
    log.record(session, one, "feedback", helpful=True, article_id=a)
    log.record(session, one, "answer", article_id=b)
    log.record(session, one, "feedback", helpful=False, article_id=b)
    log.record(session, one, "unsure", article_id=a)          # unsure turns are not uses
    log.record(session, one, "escalated", reasons=["repeated_failure"])
    # Conversation two: answered from a, never rated; escalated straight after.
    log.record(session, two, "answer", article_id=a)
    log.record(session, two, "escalated", reasons=["explicit_request"])
    # Conversation three: escalated before any answer: no article is blamed.
    log.record(session, three, "escalated", reasons=["explicit_request"])
    log.record(session, three, "answer", article_id=b)
    session.flush()
    stats = article_stats(session)
    assert (stats[a].used, stats[a].helpful, stats[a].unhelpful, stats[a].escalations_after) == (2, 1, 0, 1)
    assert (stats[b].used, stats[b].helpful, stats[b].unhelpful, stats[b].escalations_after) == (2, 0, 1, 1)
    assert stats[a].helpful_rate == 1.0 and stats[b].helpful_rate == 0.0
    assert stats[a].public()["helpful_rate"] == 1.0

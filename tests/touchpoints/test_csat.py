"""CSAT per agent and article on a small labelled fixture: which ratings count, and where."""

import secrets
from datetime import datetime, timedelta

import pytest

from touchpoints import conversations, log
from touchpoints.analytics import csat_by_agent, csat_by_article
from touchpoints.journey import load_journey
from touchpoints.scorer import rescore

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 3, 10, 0)


def _conversation(session, start, *, article=None, agent=None, score=None):
    """A conversation started at ``start``: maybe an answer from ``article``, a claim by ``agent``
    (claimed twice: it must still count once), a customer rating ``score``."""
    conversation, _ = conversations.create(session)

    def step(kind, minute, **data):
        log.record(session, conversation.id, kind, **data).created_at = start + timedelta(minutes=minute)

    conversations.append(session, conversation.id, "customer", "hello").created_at = start
    if article:
        step("answer", 1, article_id=article)
    if agent:
        for n in range(2):
            escalation = secrets.randbelow(10**9) + 10**6
            step("escalation_transition", 2 + n, escalation_id=escalation, old="new", new="queued", by=None)
            step("escalation_transition", 2.5 + n, escalation_id=escalation, old="queued", new="claimed", by=agent)
    if score is not None:
        step("rating", 5, score=score, source="chat")
    session.flush()
    rescore(session, conversation.id, load_journey(), start + timedelta(minutes=10))


def test_share_of_4_and_5_and_count_per_agent_and_article_in_the_window(session):
    ana, ben = (f"{name}-{secrets.token_hex(3)}" for name in ("ana", "ben"))
    refunds, fees = (f"art-{secrets.token_hex(3)}" for _ in range(2))
    _conversation(session, T0, article=refunds, agent=ana, score=5)
    _conversation(session, T0, article=refunds, agent=ana, score=4)
    _conversation(session, T0, article=fees, agent=ana, score=2)
    _conversation(session, T0, article=fees, agent=ben, score=3)
    _conversation(session, T0, article=fees, agent=ben)                 # not rated: no CSAT
    _conversation(session, T0 - timedelta(days=3), article=refunds, agent=ben, score=1)   # before the window
    since, until = T0 - timedelta(hours=1), T0 + timedelta(hours=1)

    agents = {row["name"]: row for row in csat_by_agent(session, since, until)}
    assert agents[ana] == {"name": ana, "ratings": 3, "satisfied": 2, "csat": 0.667}
    assert agents[ben] == {"name": ben, "ratings": 1, "satisfied": 0, "csat": 0.0}
    articles = {row["name"]: row for row in csat_by_article(session, since, until)}
    assert articles[refunds]["ratings"] == 2 and articles[refunds]["csat"] == 1.0
    assert articles[fees]["ratings"] == 2 and articles[fees]["csat"] == 0.0
    assert articles[fees]["title"] == "(deleted)"       # no such article in the knowledge base
    # Without a window the older rating of ben counts as well.
    everything = {row["name"]: row for row in csat_by_agent(session)}
    assert everything[ben]["ratings"] == 2


@pytest.mark.postgres
@pytest.mark.integration
def test_the_same_csat_on_postgres(postgres_url):
    from candor.db import session_scope

    with session_scope(postgres_url) as session:
        test_share_of_4_and_5_and_count_per_agent_and_article_in_the_window(session)

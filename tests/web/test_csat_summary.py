"""The dashboard's summary carries CSAT per agent, team and article for its window."""

import secrets
from datetime import datetime, timedelta

import pytest
from web_helpers import offline_client

pytestmark = pytest.mark.unit
T0 = datetime(2026, 10, 7, 12, 0)


def _rated(session, team: str, agent: str, article: str, score: int) -> None:
    from routing.models import Escalation
    from touchpoints import conversations, log
    from touchpoints.journey import load_journey
    from touchpoints.scorer import rescore

    conversation, _ = conversations.create(session)
    conversations.append(session, conversation.id, "customer", "hello").created_at = T0
    escalation = Escalation(conversation_id=conversation.id, team=team, created_at=T0)
    session.add(escalation)
    session.flush()
    for minute, (kind, data) in enumerate([
            ("answer", {"article_id": article}),
            ("escalation_transition", {"escalation_id": escalation.id, "old": "new", "new": "queued", "by": None}),
            ("escalation_transition", {"escalation_id": escalation.id, "old": "queued", "new": "claimed",
                                       "by": agent}),
            ("rating", {"score": score, "source": "agent_close"})], start=1):
        log.record(session, conversation.id, kind, **data).created_at = T0 + timedelta(minutes=minute)
    session.flush()
    rescore(session, conversation.id, load_journey(), T0 + timedelta(minutes=10))


def test_summary_has_csat_per_agent_team_and_article(database):
    from candor.db import session_scope
    from routing import staff

    team, agent, article = (f"{kind}-{secrets.token_hex(3)}" for kind in ("team", "agent", "art"))
    editor = f"csat-{secrets.token_hex(3)}"
    with session_scope() as session:
        staff.add_user(session, editor, "correct horse battery", "editor", [])
        for score in (5, 4, 1):
            _rated(session, team, agent, article, score)
    client = offline_client()
    token = client.post("/api/auth/login", json={"username": editor, "password": "correct horse battery"}
                        ).json()["token"]
    answer = client.get("/api/analytics/summary", headers={"Authorization": f"Bearer {token}"},
                        params={"since": "2026-10-07T00:00:00", "until": "2026-10-08T00:00:00", "gaps": "false"})
    assert answer.status_code == 200, answer.text
    csat = answer.json()["csat"]
    assert isinstance(answer.json()["sla"], list)   # per team; its figures: tests/web/test_sla_figures.py
    expected = {"ratings": 3, "satisfied": 2, "csat": 0.667}
    for group, name in (("agents", agent), ("teams", team), ("articles", article)):
        [row] = [row for row in csat[group] if row["name"] == name]
        assert {key: row[key] for key in expected} == expected, group
    # Outside the window: none of them.
    later = client.get("/api/analytics/summary", headers={"Authorization": f"Bearer {token}"},
                       params={"since": "2026-10-08T00:00:00", "gaps": "false"}).json()["csat"]
    assert team not in {row["name"] for row in later["teams"]}

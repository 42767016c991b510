"""An agent's reply through the API keeps the first reply's time on the escalation row, in the same
transaction as the message; agent workload and the dashboard summary read it from there."""

import secrets

import pytest
from web_helpers import offline_client, start

from candor.db import session_scope
from routing import staff
from routing.models import Escalation
from touchpoints.models import Message

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("database")]
PASSWORD = "correct horse battery"


def login(client, username: str, role: str, team: str) -> dict[str, str]:
    with session_scope() as session:
        staff.add_user(session, username, PASSWORD, role, [team], 3)
    token = client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_first_agent_reply_is_kept_on_the_escalation():
    client = offline_client()   # the bot is down: the customer's message queues
    team = f"fr{secrets.token_hex(3)}"
    client.app.state.chat.router.config.default_team = team
    agent = f"{team}-ana"
    desk = login(client, agent, "agent", team)
    analyst = login(client, f"{team}-eve", "editor", team)
    conversation_id, customer = start(client)
    assert client.post(f"/api/conversations/{conversation_id}/messages", json={"text": "hello?"},
                       headers=customer).status_code == 200
    [escalation_id] = [e["id"] for e in client.get("/api/escalations", headers=desk).json()
                       if e["conversation_id"] == conversation_id]
    refused = client.post(f"/api/escalations/{escalation_id}/messages", json={"text": "early"}, headers=desk)
    assert refused.status_code == 409   # not held yet: no reply, nothing timed
    assert client.post(f"/api/escalations/{escalation_id}/claim", headers=desk).status_code == 200
    for text in ("Hi, I'm on it.", "Found it."):
        sent = client.post(f"/api/escalations/{escalation_id}/messages", json={"text": text}, headers=desk)
        assert sent.status_code == 200, sent.text
    with session_scope() as session:
        row = session.get_one(Escalation, escalation_id)
        first = session.query(Message).filter_by(conversation_id=conversation_id, sender="agent").order_by(
            Message.seq).first()
        assert first is not None and first.text == "Hi, I'm on it."
        assert row.first_reply_at == first.created_at and row.claimed_at is not None
        expected = round((row.first_reply_at - row.claimed_at).total_seconds(), 1)
    summary = client.get("/api/analytics/summary?gaps=false", headers=analyst)
    assert summary.status_code == 200, summary.text
    [mine] = [a for a in summary.json()["agents"] if a["agent"] == agent]
    assert mine["escalations_handled"] == 1 and mine["median_first_response_s"] == expected

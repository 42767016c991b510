"""SLA breaches and e-mail follow-ups: the web app in-process on the real test database.

Rasa is pointed at a closed port (nothing listens on port 9 here), so every customer message
queues for a person, which is the situation these features are for.
"""

import secrets
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from candor.db import session_scope, utcnow
from routing import service_level, staff
from routing.hours import BusinessHours
from routing.models import Escalation
from touchpoints.models import Event

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def client(database):
    from candor.settings import Settings
    from web.app import create_app

    with TestClient(create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t"))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def agent_headers(client):
    name = f"billing-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, "correct horse battery", "agent", ["general"])
    token = client.post("/api/auth/login", json={"username": name, "password": "correct horse battery"}).json()
    return {"Authorization": f"Bearer {token['token']}"}


def queued_customer(client) -> tuple[str, dict]:
    created = client.post("/api/conversations").json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    reply = client.post(f"/api/conversations/{created['id']}/messages", json={"text": "my bill is wrong"},
                        headers=headers)
    assert reply.json()["status"] == "queued"
    return created["id"], headers


def escalation_of(conversation_id: str) -> Escalation:
    with session_scope() as session:
        return session.scalar(select(Escalation).where(Escalation.conversation_id == conversation_id))


def test_a_breach_is_told_to_the_customer_once(client):
    conversation_id, headers = queued_customer(client)
    escalation = escalation_of(conversation_id)
    with session_scope() as session:
        assert escalation.id not in [e.id for e in service_level.notify_breaches(session, utcnow())]
        late = escalation.sla_due_at + timedelta(minutes=1)
        assert escalation.id in [e.id for e in service_level.notify_breaches(session, late)]
    with session_scope() as session:
        assert escalation.id not in [e.id for e in service_level.notify_breaches(session, late)]
        [event] = session.scalars(select(Event).where(Event.conversation_id == conversation_id,
                                                      Event.kind == "sla_breached")).all()
        assert event.data["escalation_id"] == escalation.id
    transcript = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    assert [m["text"] for m in transcript["messages"]].count(service_level.BREACH_NOTICE) == 1
    assert escalation_of(conversation_id).status == "queued"  # still in the queue


def test_a_claimed_escalation_is_never_reported_as_breached(client, agent_headers):
    conversation_id, _ = queued_customer(client)
    escalation = escalation_of(conversation_id)
    assert client.post(f"/api/escalations/{escalation.id}/claim", headers=agent_headers).status_code == 200
    with session_scope() as session:
        assert escalation.id not in [e.id for e in service_level.notify_breaches(session, utcnow() + timedelta(days=1))]


def test_an_address_typed_while_waiting_becomes_a_follow_up(client, agent_headers):
    conversation_id, headers = queued_customer(client)
    reply = client.post(f"/api/conversations/{conversation_id}/messages",
                        json={"text": "just email me: ana.diaz+kf@example.co.uk thanks"}, headers=headers).json()
    assert reply["status"] == "queued"
    [ack] = reply["messages"]
    assert "a***@example.co.uk" in ack["text"] and "ana.diaz" not in ack["text"]
    mine = [f for f in client.get("/api/follow-ups", headers=agent_headers).json()
            if f["conversation_id"] == conversation_id]
    assert [(f["email"], f["status"], f["team"]) for f in mine] == [("ana.diaz+kf@example.co.uk", "open", "general")]
    detail = client.get(f"/api/escalations/{escalation_of(conversation_id).id}", headers=agent_headers).json()
    assert detail["follow_ups"][0]["email"] == "ana.diaz+kf@example.co.uk"
    # The message itself is in the transcript too: nothing the customer typed is lost.
    texts = [m["text"] for m in client.get(f"/api/conversations/{conversation_id}", headers=headers).json()["messages"]]
    assert "just email me: [email] thanks" in texts   # the transcript keeps no address (redaction)


def test_follow_up_api_validates_and_staff_close_it_once(client, agent_headers):
    conversation_id, headers = queued_customer(client)
    bad = client.post(f"/api/conversations/{conversation_id}/follow-up", json={"email": "ana at example"},
                      headers=headers)
    assert bad.status_code == 422 and "e-mail address" in bad.json()["detail"]
    made = client.post(f"/api/conversations/{conversation_id}/follow-up",
                       json={"email": "ben@example.com", "note": "after 6pm please"}, headers=headers)
    assert made.status_code == 201, made.text
    follow_up = made.json()
    assert follow_up["note"] == "after 6pm please" and "b***@example.com" in follow_up["message"]["text"]
    assert client.post(f"/api/conversations/{conversation_id}/follow-up", json={"email": "ben@example.com"},
                       headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/api/follow-ups").status_code == 401
    done = client.post(f"/api/follow-ups/{follow_up['id']}/done", headers=agent_headers)
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = client.post(f"/api/follow-ups/{follow_up['id']}/done", headers=agent_headers)
    assert again.status_code == 409
    assert client.post("/api/follow-ups/999999/done", headers=agent_headers).status_code == 404


def test_outside_business_hours_the_sla_clock_starts_at_opening():
    hours = BusinessHours(timezone="Europe/London", weekly={"mon": "08:00-20:00"})
    sunday_night = datetime(2026, 11, 22, 23, 0)  # naive UTC, as stored; London is on UTC in November
    assert service_level.sla_clock_start(hours, sunday_night) == datetime(2026, 11, 23, 8, 0)
    monday_noon = datetime(2026, 11, 23, 12, 0)
    assert service_level.sla_clock_start(hours, monday_noon) == monday_noon
    summer_sunday = datetime(2026, 7, 19, 23, 0)  # British Summer Time: 08:00 local is 07:00 UTC
    assert service_level.sla_clock_start(hours, summer_sunday) == datetime(2026, 7, 20, 7, 0)


def test_the_web_app_watches_service_levels_by_itself(tmp_path, database):
    import time

    import yaml

    from candor.settings import Settings
    from routing.config import DEFAULT_POLICY
    from web.app import create_app

    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    policy["sla_check_seconds"] = 0.2
    (tmp_path / "policy.yml").write_text(yaml.safe_dump(policy))
    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", policy_file=tmp_path / "policy.yml"))
    with TestClient(app) as fast:
        conversation_id, headers = queued_customer(fast)
        with session_scope() as session:
            session.get(Escalation, escalation_of(conversation_id).id).sla_due_at = utcnow() - timedelta(minutes=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            transcript = fast.get(f"/api/conversations/{conversation_id}", headers=headers).json()
            texts = [m["text"] for m in transcript["messages"]]
            if service_level.BREACH_NOTICE in texts:
                break
            time.sleep(0.1)
        assert service_level.BREACH_NOTICE in texts


def test_escalation_and_follow_up_ids_no_row_can_have_are_a_422_not_a_server_error(client, agent_headers):
    # 2**63 used to reach SQLite, which cannot compare it with a column: OverflowError, a 500.
    for bad in (2**63, -(2**63) - 1, 0):
        assert client.get(f"/api/escalations/{bad}", headers=agent_headers).status_code == 422
        for action in ("claim", "resolve", "notes", "messages"):
            response = client.post(f"/api/escalations/{bad}/{action}", headers=agent_headers,
                                   json={"text": "hello"} if action in ("notes", "messages") else {})
            assert response.status_code == 422, (action, response.text)
        assert client.post(f"/api/follow-ups/{bad}/done", headers=agent_headers).status_code == 422

"""Outbound webhooks against a real receiver on loopback (tests/web/webhook_receiver.py), which checks
every signature with the README's snippet. Events come from the public API on the real test database
(Rasa is pointed at a closed port, so every customer message queues for a person).

The module's app has its own sender loop slowed right down; each test drives
``webhook_sender.deliver_due`` with the clock it needs, and one test runs the loop itself."""

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from webhook_receiver import Receiver, verify

from candor.db import session_scope, utcnow
from conversations import erasure, webhook_sender
from routing import staff
from touchpoints import webhooks
from touchpoints.journey import load_journey
from touchpoints.scorer import rescore
from touchpoints.webhook_models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"
ALL = list(webhooks.EVENTS)


@pytest.fixture(scope="module")
def client(database):
    from candor.settings import Settings
    from web.api import webhooks as webhooks_api
    from web.app import create_app

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhooks_api, "SEND_EVERY_S", 3600)   # the tests deliver with their own clock
        app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", rate_limit_ip="100000/minute",
                                  rate_limit_conversation="100000/minute", rate_limit_login="100000/minute"))
        with TestClient(app) as test_client:
            yield test_client


@pytest.fixture(autouse=True)
def no_endpoints_left(database):
    """Every test starts and ends with no endpoints (the unit tests share one database)."""
    def clear():
        with session_scope() as session:
            for endpoint in session.scalars(select(WebhookEndpoint)):
                session.delete(endpoint)
    clear()
    yield
    clear()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


def login(client, role: str = "admin") -> dict[str, str]:
    name = f"hook-{role}-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, role, [])
    token = client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def endpoint(client, receiver: Receiver, events=None, admin=None) -> dict:
    made = client.post("/api/webhooks", headers=admin or login(client),
                       json={"url": receiver.url, "events": events or ALL, "description": "CRM"})
    assert made.status_code == 201, made.text
    receiver.secret = made.json()["secret"]
    return made.json()


def escalated(client, customer: str | None = None, text: str = "my bill is wrong") -> tuple[str, dict]:
    body = {"customer": {"id": customer}} if customer else None
    created = client.post("/api/conversations", json=body).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    reply = client.post(f"/api/conversations/{created['id']}/messages", json={"text": text}, headers=headers)
    assert reply.json()["status"] == "queued", reply.text
    return created["id"], headers


def deliveries(**where) -> list[WebhookDelivery]:
    with session_scope() as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        for column, value in where.items():
            query = query.where(getattr(WebhookDelivery, column) == value)
        return list(session.scalars(query))


def deliver(now) -> dict[str, int]:
    return webhook_sender.deliver_due(now, limit=10_000)


def test_an_escalation_reaches_the_receiver_signed_and_the_log_shows_it(client, receiver):
    admin = login(client)
    hook = endpoint(client, receiver, ["escalation.created"], admin)
    conversation_id, _ = escalated(client)
    [queued] = deliveries(conversation_id=conversation_id)
    assert (queued.event, queued.status, queued.attempts) == ("escalation.created", "queued", 0)

    assert deliver(utcnow())["sent"] == 1
    [event] = receiver.events("escalation.created", conversation_id=conversation_id)
    assert event["id"] == queued.delivery_id and event["headers"]["Candor-Event"] == "escalation.created"
    assert event["data"]["team"] == "general" and event["data"]["escalation_id"] > 0
    assert "my bill is wrong" not in str(event)   # ids and outcomes, never the customer's words
    assert receiver.rejected == []

    log = client.get(f"/api/webhooks/{hook['id']}/deliveries", headers=admin).json()
    assert [(d["delivery_id"], d["status"], d["attempts"], d["response_code"], d["last_error"]) for d in log] == [
        (queued.delivery_id, "sent", 1, 204, None)]
    listed = client.get("/api/webhooks", headers=admin).json()
    assert [(e["id"], e["queued"], e["failed"]) for e in listed] == [(hook["id"], 0, 0)]
    assert "secret" not in listed[0]   # shown once, at creation


def test_a_receiver_with_the_wrong_secret_refuses_and_the_failure_is_in_words(client, receiver):
    admin = login(client)
    hook = endpoint(client, receiver, ["escalation.created"], admin)
    receiver.secret = "whsec_not-the-one-candor-has"
    escalated(client)
    assert deliver(utcnow())["retry"] == 1
    assert receiver.accepted == [] and receiver.rejected == ["bad signature"]
    [row] = client.get(f"/api/webhooks/{hook['id']}/deliveries", headers=admin).json()
    assert row["status"] == "queued" and row["response_code"] == 401
    assert row["last_error"] == "the receiver answered 401 Unauthorized: signature does not match"


def test_a_receiver_down_for_a_while_gets_every_event_once_with_its_delivery_id(client, receiver):
    endpoint(client, receiver, ["escalation.created"])
    receiver.stop()                                   # nothing listens on its port now
    conversations = [escalated(client)[0] for _ in range(3)]
    now = utcnow()
    assert deliver(now)["retry"] == 3
    rows = [d for c in conversations for d in deliveries(conversation_id=c)]
    assert {(r.status, r.attempts, r.next_attempt_at) for r in rows} == {("queued", 1, now + timedelta(seconds=10))}
    assert all(r.last_error.startswith("could not connect to the receiver") for r in rows)
    assert deliver(now + timedelta(seconds=9)) == {"sent": 0, "retry": 0, "failed": 0}   # not before its backoff
    deliver(now + timedelta(seconds=10))              # still down: the wait doubles
    assert {(r.attempts, r.next_attempt_at) for c in conversations for r in deliveries(conversation_id=c)} == {
        (2, now + timedelta(seconds=30))}

    receiver.start()                                  # back, on the same port
    receiver.fail_next = 1                            # ...but its first answer is a 500
    deliver(now + timedelta(seconds=30))
    deliver(now + timedelta(minutes=2))
    deliver(now + timedelta(hours=3))                 # a later round sends nothing twice
    rows = [d for c in conversations for d in deliveries(conversation_id=c)]
    assert {r.status for r in rows} == {"sent"}
    got = [e["id"] for e in receiver.accepted]
    assert sorted(got) == sorted(r.delivery_id for r in rows)   # each event accepted exactly once
    # The one that met the 500 came again with the same delivery id, never under a new one.
    assert len(receiver.attempts) == 4 and set(receiver.attempts) == set(got)
    assert sorted(r.attempts for r in rows) == [3, 3, 4]


def test_workers_sending_at_once_post_each_delivery_once(client, receiver):
    endpoint(client, receiver, ["escalation.created"])
    conversations = {escalated(client)[0] for _ in range(6)}
    now = utcnow()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: deliver(now), range(4)))
    ids = [r.delivery_id for c in conversations for r in deliveries(conversation_id=c)]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(receiver.attempts) == sorted(ids)   # not one request twice


def test_closing_scoring_and_a_stage_change_are_sent_too(client, receiver):
    admin = login(client)
    endpoint(client, receiver, ALL, admin)
    customer = f"c-{secrets.token_hex(4)}"
    first, _ = escalated(client, customer, "how much is installation compared to the others?")
    agent = login(client, "agent")
    [escalation] = [e for e in client.get("/api/escalations?status=queued", headers=agent).json()
                    if e["conversation_id"] == first]
    assert client.post(f"/api/escalations/{escalation['id']}/claim", headers=agent).status_code == 200
    assert client.post(f"/api/escalations/{escalation['id']}/resolve", headers=agent,
                       json={"return_to_bot": False}).status_code == 200
    with session_scope() as session:
        rescore(session, first, load_journey(), utcnow())
    second, _ = escalated(client, customer, "I want to sign up, what is the installation date?")
    with session_scope() as session:
        rescore(session, second, load_journey(), utcnow())
    deliver(utcnow())

    [closed] = receiver.events("conversation.closed", conversation_id=first)
    assert closed["data"]["customer_id"] == customer and closed["data"]["escalation_id"] == escalation["id"]
    scored = receiver.events("touchpoint.scored", conversation_id=first)
    assert scored and scored[-1]["data"]["stage"] == "consideration"
    assert receiver.events("touchpoint.scored", conversation_id=second)[-1]["data"]["stage"] == "decision"
    changes = [(e["data"]["from"], e["data"]["to"]) for e in receiver.events("customer.stage_changed",
                                                                             customer_id=customer)]
    assert changes == [(None, "consideration"), ("consideration", "decision")]
    with session_scope() as session:   # scoring again with nothing new sends nothing new
        rescore(session, second, load_journey(), utcnow())
    assert deliver(utcnow())["sent"] == 0


def test_an_event_rolled_back_is_never_queued(client, receiver):
    endpoint(client, receiver, ["escalation.created"])
    conversation_id, _ = escalated(client)
    before = len(deliveries())
    with pytest.raises(RuntimeError), session_scope() as session:
        webhooks.emit(session, "escalation.created", {"conversation_id": conversation_id},
                      conversation_id=conversation_id)
        session.flush()
        raise RuntimeError("the turn failed after the event")
    assert len(deliveries()) == before


def test_a_disabled_endpoint_holds_its_deliveries_until_enabled(client, receiver):
    admin = login(client)
    hook = endpoint(client, receiver, ["escalation.created"], admin)
    conversation_id, _ = escalated(client)
    changed = client.patch(f"/api/webhooks/{hook['id']}", headers=admin, json={"enabled": False})
    assert changed.status_code == 200 and changed.json()["enabled"] is False and changed.json()["queued"] == 1
    escalated(client)                                  # nothing queued for a disabled endpoint
    assert deliver(utcnow())["sent"] == 0 and receiver.attempts == []
    health = client.get("/healthz").json()["components"]["webhooks"]
    assert health["held"] == 1 and "1 webhook deliveries held: their endpoint is disabled" in health["detail"]
    assert client.patch(f"/api/webhooks/{hook['id']}", headers=admin, json={"enabled": True}).status_code == 200
    assert deliver(utcnow())["sent"] == 1
    assert [e["data"]["conversation_id"] for e in receiver.accepted] == [conversation_id]


def test_a_rotated_secret_signs_with_both_for_a_day(client, receiver):
    admin = login(client)
    hook = endpoint(client, receiver, ["escalation.created"], admin)
    old = receiver.secret
    rotated = client.post(f"/api/webhooks/{hook['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200 and rotated.json()["secret"] not in (old, "")
    escalated(client)
    now = utcnow()
    deliver(now)
    [event] = receiver.accepted                        # the receiver still has the old secret: accepted
    header = event["headers"]["Candor-Signature"]
    assert header.count("v1=") == 2
    body, _ = webhook_sender.request_parts(*endpoint_and_delivery(event["id"]), now)   # the same bytes again
    assert verify(rotated.json()["secret"], header, body)["id"] == event["id"]   # the new secret checks out too
    row, _ = endpoint_and_delivery(event["id"])
    assert webhooks.signing_secrets(row, now + timedelta(hours=25)) == [rotated.json()["secret"]]   # a day later


def endpoint_and_delivery(delivery_id: str):
    with session_scope() as session:
        delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery_id))
        return session.get_one(WebhookEndpoint, delivery.endpoint_id), delivery


def test_deleting_an_endpoint_takes_its_log_and_a_failed_delivery_can_be_resent(client, receiver):
    admin = login(client)
    hook = endpoint(client, receiver, ["escalation.created"], admin)
    escalated(client)
    with session_scope() as session:
        [row] = session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == hook["id"]))
        row.status, row.attempts, row.last_error = "failed", webhooks.MAX_ATTEMPTS, "the receiver answered 500"
    health = client.get("/healthz").json()["components"]["webhooks"]
    assert health["ok"] is False and "1 webhook deliveries failed for good" in health["detail"]
    resent = client.post(f"/api/webhooks/{hook['id']}/deliveries/{row.id}/retry", headers=admin)
    assert resent.status_code == 200 and resent.json()["status"] == "queued"
    deliver(utcnow())
    assert client.post(f"/api/webhooks/{hook['id']}/deliveries/{row.id}/retry", headers=admin).status_code == 409
    assert client.post(f"/api/webhooks/{hook['id']}/deliveries/2000000000/retry", headers=admin).status_code == 404
    assert client.delete(f"/api/webhooks/{hook['id']}", headers=admin).status_code == 204
    assert deliveries(endpoint_id=hook["id"]) == []
    missing = client.get(f"/api/webhooks/{hook['id']}/deliveries", headers=admin)
    assert missing.status_code == 404 and "No webhook endpoint" in missing.json()["detail"]


def test_erasing_a_conversation_erases_what_would_be_sent_about_it(client, receiver):
    endpoint(client, receiver, ["escalation.created"])
    conversation_id, _ = escalated(client)
    assert deliveries(conversation_id=conversation_id)
    with session_scope() as session:
        erasure.erase(session, [conversation_id])
    assert deliveries(conversation_id=conversation_id) == []


@pytest.mark.parametrize(("body", "words"), [
    ({"url": "ftp://crm.example.com/x", "events": ALL}, "must be a full address starting with https://"),
    ({"url": "http://crm.example.com/x", "events": ALL}, "must use https://"),
    ({"url": "https://user:pw@crm.example.com/x", "events": ALL}, "must not contain a user name or password"),
    ({"url": "https://crm.example.com:99999/x", "events": ALL}, "is not a URL we can post to"),
    ({"url": "https://crm.example.com/x", "events": []}, "events: List should have at least 1 item"),
    ({"url": "https://crm.example.com/x", "events": ["conversation.opened"]}, "events.0: Input should be"),
    ({"url": "https://crm.example.com/x", "events": ALL, "secret": "mine"}, "secret: Extra inputs are not permitted"),
])
def test_bad_endpoints_are_refused_in_words(client, body, words):
    refused = client.post("/api/webhooks", headers=login(client), json=body)
    assert refused.status_code == 422 and words in refused.json()["detail"], refused.text


def test_changes_are_checked_and_audited(client, receiver):
    admin = login(client)
    hook = endpoint(client, receiver, ["escalation.created"], admin)
    assert client.patch(f"/api/webhooks/{hook['id']}", headers=admin, json={}).status_code == 422
    plain_http = client.patch(f"/api/webhooks/{hook['id']}", headers=admin, json={"url": "http://example.com"})
    assert plain_http.status_code == 422 and "must use https://" in plain_http.json()["detail"]
    changed = client.patch(f"/api/webhooks/{hook['id']}", headers=admin,
                           json={"events": ["touchpoint.scored", "conversation.closed"]})
    assert changed.json()["events"] == ["conversation.closed", "touchpoint.scored"]
    audit = client.get("/api/audit?limit=5", headers=admin).json()
    assert [e["action_words"] for e in audit[:2]] == ["changed a webhook endpoint", "added a webhook endpoint"]
    assert client.patch("/api/webhooks/2000000000", headers=admin, json={"enabled": False}).status_code == 404


def test_the_web_app_sends_on_its_own(database, receiver, monkeypatch):
    from candor.settings import Settings
    from web.api import webhooks as webhooks_api
    from web.app import create_app

    monkeypatch.setattr(webhooks_api, "SEND_EVERY_S", 0.2)
    with TestClient(create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t"))) as own:
        endpoint(own, receiver, ["escalation.created"])
        conversation_id, _ = escalated(own)
        deadline = time.monotonic() + 15
        def arrived() -> list:
            return receiver.events("escalation.created", conversation_id=conversation_id)
        while time.monotonic() < deadline and not arrived():
            time.sleep(0.1)
        assert len(arrived()) == 1


def test_a_late_delivery_is_a_health_warning_but_a_held_one_is_not_late(client, receiver):
    admin = login(client)
    hook = endpoint(client, receiver, ["escalation.created"], admin)
    conversation_id, _ = escalated(client)
    with session_scope() as session:
        [row] = session.scalars(select(WebhookDelivery).where(WebhookDelivery.conversation_id == conversation_id))
        row.created_at -= timedelta(minutes=16)
    late = client.get("/healthz").json()["components"]["webhooks"]
    assert late["ok"] is False and late["overdue"] == 1
    assert "1 webhook deliveries waiting longer than 15 minutes" in late["detail"]
    client.patch(f"/api/webhooks/{hook['id']}", headers=admin, json={"enabled": False})
    held = client.get("/healthz").json()["components"]["webhooks"]
    assert (held["overdue"], held["held"]) == (0, 1) and "waiting longer" not in held["detail"]

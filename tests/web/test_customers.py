"""The customer behind the conversations (issue 16): signed customer ids, the widget's visitor ids and
their merge, the staff view of a customer's journey, and erasure of everything about them.

The app runs with Rasa down (port 9), as in the other web unit tests: a message then queues for a
person, which is enough for a scored touchpoint."""

import secrets

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from candor.db import session_scope, utcnow
from conversations.customers import sign
from routing import staff
from touchpoints.customer_models import Customer, Visitor
from touchpoints.models import Conversation, Touchpoint
from touchpoints.scorer import score_pending

pytestmark = pytest.mark.unit
SECRET = "site-secret-" + "x" * 20
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def client(database):
    from candor.settings import Settings
    from web.app import create_app

    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", identity_secret=SECRET,
                              rate_limit_login="100000/minute", rate_limit_ip="100000/minute"))
    with TestClient(app) as test_client:
        yield test_client


def staff_headers(client: TestClient, role: str) -> dict[str, str]:
    name = f"cust-{role}-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, role, [])
    token = client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def new_id(prefix: str = "c") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def visitor_id() -> str:
    return secrets.token_urlsafe(16)


def conversation_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Conversation)) or 0


def stored(conversation_id: str) -> Conversation:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        session.expunge(conversation)
        return conversation


def test_a_good_signature_links_the_conversation_to_a_verified_customer(client):
    customer = new_id()
    made = client.post("/api/conversations", json={"customer": {"id": customer, "signature": sign(SECRET, customer)},
                                                   "attributes": {"plan": "pro", "vip": True}})
    assert made.status_code == 201, made.text
    assert set(made.json()) == {"id", "token"}   # the response existing callers know
    conversation = stored(made.json()["id"])
    assert conversation.customer_id == customer
    # The routing policy reads these attributes: the marker tells it they came with a good signature.
    assert conversation.attributes == {"plan": "pro", "vip": True, "verified": True}
    with session_scope() as session:
        record = session.get(Customer, customer)
        assert record.verified and record.attributes == {"plan": "pro", "vip": True, "verified": True}


@pytest.mark.parametrize("claim, words", [
    ({"signature": "0" * 64}, "does not match"),
    ({}, "signature is required"),
], ids=["bad", "missing"])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(client, claim, words):
    customer, browser, before = new_id(), visitor_id(), conversation_count()
    refused = client.post("/api/conversations", json={"customer": {"id": customer, **claim},
                                                      "visitor": browser, "attributes": {"vip": True}})
    assert refused.status_code == 401
    assert words in refused.json()["detail"]
    assert conversation_count() == before
    with session_scope() as session:
        assert session.get(Customer, customer) is None
        assert session.get(Visitor, browser) is None


def test_a_signature_replayed_with_another_id_is_refused(client):
    mine, theirs = new_id(), new_id()
    refused = client.post("/api/conversations", json={"customer": {"id": theirs, "signature": sign(SECRET, mine)}})
    assert refused.status_code == 401
    with session_scope() as session:
        assert session.get(Customer, theirs) is None


def test_verified_cannot_be_claimed_in_attributes(client):
    before = conversation_count()
    refused = client.post("/api/conversations", json={"attributes": {"verified": True, "vip": True}})
    assert refused.status_code == 401 and "verified" in refused.json()["detail"]
    assert conversation_count() == before


def test_unsigned_attributes_stay_unverified_as_before(client):
    made = client.post("/api/conversations", json={"attributes": {"customer_id": "c-9", "vip": True}})
    assert made.status_code == 201
    conversation = stored(made.json()["id"])
    assert conversation.attributes == {"customer_id": "c-9", "vip": True} and conversation.customer_id is None
    assert client.post("/api/conversations").status_code == 201   # no body at all, as the widget once sent


@pytest.mark.parametrize("visitor", ["short", "x" * 65, "has spaces in it!!", "../../etc/passwd-xx"])
def test_a_malformed_visitor_id_is_refused_with_a_reason(client, visitor):
    refused = client.post("/api/conversations", json={"visitor": visitor})
    assert refused.status_code == 422
    assert "visitor" in refused.text


def test_a_visitors_earlier_conversations_join_the_customer_when_they_sign_in(client):
    browser, other_browser, customer = visitor_id(), visitor_id(), new_id()
    anonymous = [client.post("/api/conversations", json={"visitor": browser}).json()["id"] for _ in range(2)]
    elsewhere = client.post("/api/conversations", json={"visitor": other_browser}).json()["id"]
    assert all(stored(cid).visitor_id == browser and stored(cid).customer_id is None for cid in anonymous)

    signed = client.post("/api/conversations", json={
        "visitor": browser, "customer": {"id": customer, "signature": sign(SECRET, customer)}}).json()["id"]

    assert {cid: stored(cid).customer_id for cid in [*anonymous, signed]} == dict.fromkeys([*anonymous, signed],
                                                                                            customer)
    assert stored(elsewhere).customer_id is None   # another browser is not merged
    with session_scope() as session:
        link = session.get(Visitor, browser)
        assert link.customer_id == customer and link.merged_at is not None


def test_a_conversation_another_customer_proved_is_not_moved(client):
    browser, first, second = visitor_id(), new_id(), new_id()
    theirs = client.post("/api/conversations", json={
        "visitor": browser, "customer": {"id": first, "signature": sign(SECRET, first)}}).json()["id"]
    client.post("/api/conversations", json={"visitor": browser,
                                            "customer": {"id": second, "signature": sign(SECRET, second)}})
    assert stored(theirs).customer_id == first


def test_staff_see_the_customers_conversations_and_journey(client):
    customer = new_id()
    claim = {"id": customer, "signature": sign(SECRET, customer)}
    ids = []
    for text in ("How much does the heat pump cost?", "My invoice was charged twice, I need a person"):
        made = client.post("/api/conversations", json={"customer": claim}).json()
        ids.append(made["id"])
        reply = client.post(f"/api/conversations/{made['id']}/messages", json={"text": text},
                            headers={"Authorization": f"Bearer {made['token']}"})
        assert reply.status_code == 200, reply.text
    with session_scope() as session:
        score_pending(session, utcnow())
    with session_scope() as session:
        scored = {cid: session.get(Touchpoint, cid) for cid in ids}
        expected = [(cid, scored[cid].stage, scored[cid].resolution, scored[cid].experience_score) for cid in ids]

    view = client.get(f"/api/customers/{customer}", headers=staff_headers(client, "agent"))
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["id"] == customer and body["verified"] is True
    assert [(c["id"], c["stage"], c["resolution"], c["experience_score"]) for c in body["conversations"]] == expected
    stages = [stage for _, stage, _, _ in expected]
    assert [step["stage"] for step in body["journey"]] == [s for i, s in enumerate(stages)
                                                         if i == 0 or stages[i - 1] != s]
    assert body["journey"][0]["at"].endswith("Z")
    assert "text" not in str(body) and "invoice" not in str(body)   # scores and ids only, never transcript

    listed = client.get("/api/customers", params={"q": customer.upper(), "verified": "true"},
                        headers=staff_headers(client, "editor")).json()
    assert [(c["id"], c["conversations"]) for c in listed["items"]] == [(customer, 2)] and listed["next"] is None
    assert client.get("/api/customers/nobody-here", headers=staff_headers(client, "admin")).status_code == 404


def test_the_customer_list_pages(client):
    prefix = new_id("page")
    for n in range(3):
        customer = f"{prefix}-{n}"
        client.post("/api/conversations", json={"customer": {"id": customer, "signature": sign(SECRET, customer)}})
    headers = staff_headers(client, "admin")
    first = client.get("/api/customers", params={"q": prefix, "limit": 2}, headers=headers).json()
    second = client.get("/api/customers", params={"q": prefix, "limit": 2, "offset": first["next"]},
                        headers=headers).json()
    assert len(first["items"]) == 2 and first["next"] == 2 and len(second["items"]) == 1 and second["next"] is None
    assert {c["id"] for c in first["items"] + second["items"]} == {f"{prefix}-{n}" for n in range(3)}


def test_erasing_a_customer_leaves_zero_rows_for_them(client):
    browser, customer = visitor_id(), new_id()
    anonymous = client.post("/api/conversations", json={"visitor": browser}).json()
    signed = client.post("/api/conversations", json={
        "visitor": browser, "customer": {"id": customer, "signature": sign(SECRET, customer)}}).json()
    client.post(f"/api/conversations/{signed['id']}/messages", json={"text": "Delete my data please"},
                headers={"Authorization": f"Bearer {signed['token']}"})
    # A later anonymous conversation from the same browser belongs to them too.
    later = client.post("/api/conversations", json={"visitor": browser}).json()
    keep = client.post("/api/conversations", json={"visitor": visitor_id()}).json()

    erased = client.post("/api/admin/erase", json={"customer": customer}, headers=staff_headers(client, "admin"))
    assert erased.status_code == 200, erased.text
    assert erased.json()["conversations"] == 3
    assert erased.json()["deleted"]["customers"] == 1 and erased.json()["deleted"]["visitors"] == 1
    with session_scope() as session:
        ids = [anonymous["id"], signed["id"], later["id"]]
        assert session.scalar(select(func.count()).select_from(Conversation).where(
            (Conversation.id.in_(ids)) | (Conversation.customer_id == customer)
            | (Conversation.visitor_id == browser))) == 0
        assert session.get(Customer, customer) is None and session.get(Visitor, browser) is None
        assert session.get(Conversation, keep["id"]) is not None


def test_retention_removes_a_customer_once_their_last_conversation_goes(client):
    from conversations.erasure import erase

    customer = new_id()
    made = client.post("/api/conversations", json={"visitor": (browser := visitor_id()),
                                                   "customer": {"id": customer, "signature": sign(SECRET, customer)}})
    second = client.post("/api/conversations", json={"customer": {"id": customer,
                                                                  "signature": sign(SECRET, customer)}})
    with session_scope() as session:
        counts = erase(session, [made.json()["id"]])
    assert counts.get("customers", 0) == 0   # one conversation is left: the customer stays
    with session_scope() as session:
        assert session.get(Customer, customer) is not None and session.get(Visitor, browser) is None
        counts = erase(session, [second.json()["id"]])
    assert counts["customers"] == 1
    with session_scope() as session:
        assert session.get(Customer, customer) is None

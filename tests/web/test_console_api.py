"""What the console reads and sends, through the API on the real test database with the bot down
(every message queues): follow-ups with their e-mails' state in the escalation detail, the
customer's name for canned replies, a claim over capacity, and the customer's earlier conversations."""

import secrets

import pytest
from test_handover import Desk
from test_mail import plain

from candor.db import session_scope, utcnow
from conversations import smtp
from knowledge.models import Article
from touchpoints import log
from touchpoints.journey import load_journey
from touchpoints.scorer import rescore

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("database")]


def customer_with(desk: Desk, **body) -> tuple[int, str, dict[str, str]]:
    """A queued conversation started with ``body`` (attributes, customer)."""
    created = desk.client.post("/api/conversations", json=body)
    assert created.status_code == 201, created.text
    conversation_id, headers = created.json()["id"], {"Authorization": f"Bearer {created.json()['token']}"}
    assert desk.client.post(f"/api/conversations/{conversation_id}/messages", json={"text": "hello?"},
                            headers=headers).json()["status"] == "queued"
    [escalation] = [e for e in desk.client.get("/api/escalations", headers=next(iter(desk.headers.values()))).json()
                    if e["conversation_id"] == conversation_id]
    return escalation["id"], conversation_id, headers


def test_the_detail_shows_each_follow_up_with_its_mails_state(smtp_server):
    inbox, port = smtp_server
    desk = Desk()
    desk.agent("ana")
    escalation_id, conversation_id, customer = desk.waiting()
    refused = f"nobody.{secrets.token_hex(3)}@example.com"
    left = desk.client.post(f"/api/conversations/{conversation_id}/follow-up", headers=customer,
                            json={"email": refused, "note": "call me back"})
    assert left.status_code == 201, left.text
    [queued] = desk.detail("ana", escalation_id)["follow_ups"]
    assert queued["email"] == refused and [m["status"] for m in queued["mails"]] == ["queued"]
    assert queued["mails"][0]["kind"] == "follow_up_ack" and queued["mails"][0]["attempts"] == 0

    smtp.deliver_due(plain(port), utcnow(), limit=100_000)         # the server refuses the address: 550
    [failed] = desk.detail("ana", escalation_id)["follow_ups"]
    mail = failed["mails"][0]
    assert (mail["status"], mail["attempts"], mail["next_attempt_at"]) == ("failed", 1, None)
    assert "the server refused the address: 550" in mail["last_error"]
    assert inbox.to(refused) == []
    assert failed == [f for f in desk.client.get("/api/follow-ups", headers=desk.headers["ana"]).json()
                      if f["id"] == failed["id"]][0]               # the list shows the same


def test_the_customer_name_comes_from_what_we_know_and_fills_replies():
    desk = Desk()
    desk.agent("ana")
    escalation_id, conversation_id, customer = customer_with(desk, attributes={"name": "Dana Reyes"})
    assert desk.detail("ana", escalation_id)["customer_name"] == "Dana Reyes"    # the site's attribute
    left = desk.client.post(f"/api/conversations/{conversation_id}/follow-up", headers=customer,
                            json={"email": "dana@example.com", "name": "Dana"})
    assert left.status_code == 201 and left.json()["name"] == "Dana"
    assert desk.detail("ana", escalation_id)["customer_name"] == "Dana"          # what she left herself
    assert desk.post("ana", f"/api/escalations/{escalation_id}/claim").status_code == 200
    sent = desk.post("ana", f"/api/escalations/{escalation_id}/messages", {"text": "Hi {customer_name}, on it."})
    assert sent.json()["text"] == "Hi Dana, on it."
    replied = desk.post("ana", f"/api/follow-ups/{left.json()['id']}/reply", {"text": "{customer_name}, done."})
    assert replied.status_code == 201 and replied.json()["message"]["text"] == "Dana, done."


def test_an_unknown_name_never_reaches_the_customer_raw():
    desk = Desk()
    desk.agent("ana")
    escalation_id, conversation_id, customer = desk.waiting()
    assert desk.detail("ana", escalation_id)["customer_name"] is None
    desk.post("ana", f"/api/escalations/{escalation_id}/claim")
    sent = desk.post("ana", f"/api/escalations/{escalation_id}/messages",
                     {"text": "Hi {customer_name}, thanks for waiting. Thank you, {customer_name}."})
    assert sent.json()["text"] == "Hi, thanks for waiting. Thank you."
    shown = desk.client.get(f"/api/conversations/{conversation_id}", headers=customer).json()["messages"]
    assert all("{customer_name}" not in m["text"] for m in shown)


@pytest.mark.parametrize(("text", "unknown", "known"), [
    ("Hi {customer_name}, thanks for waiting.", "Hi, thanks for waiting.", "Hi Dana, thanks for waiting."),
    ("Thank you, {customer_name}.", "Thank you.", "Thank you, Dana."),
    ("{customer_name}, we found it.", "We found it.", "Dana, we found it."),
    ("Sorry. {customer_name}, we fixed it.", "Sorry. We fixed it.", "Sorry. Dana, we fixed it."),
    ("Hello\n{customer_name}, all done.", "Hello\nAll done.", "Hello\nDana, all done."),
    ("Dear {customer_name},\nthanks", "Dear customer,\nthanks", "Dear Dana,\nthanks"),
    ("No placeholder here.", "No placeholder here.", "No placeholder here."),
])
def test_the_name_is_filled_or_left_out_with_its_comma(text, unknown, known):
    from web.api.canned import fill_customer_name

    assert (fill_customer_name(text, None), fill_customer_name(text, "Dana")) == (unknown, known)


@pytest.mark.parametrize("name", ["{customer_name}", "Dana\nEvil", "<b>Dana</b>", "x" * 81])
def test_a_name_that_cannot_go_in_a_reply_is_refused_in_words(name):
    desk = Desk()
    desk.agent("ana")
    _, conversation_id, customer = desk.waiting()
    refused = desk.client.post(f"/api/conversations/{conversation_id}/follow-up", headers=customer,
                               json={"email": "dana@example.com", "name": name})
    assert refused.status_code == 422
    assert "name" in refused.text and ("braces" in refused.text or "at most 80" in refused.text)


def test_a_verified_customer_name_comes_first():
    from web_helpers import offline_client

    from conversations.customers import sign

    secret = "console-secret-" + "z" * 20
    desk = Desk()
    desk.client = offline_client(identity_secret=secret)
    config = desk.client.app.state.chat.router.config
    config.default_team = desk.team
    desk.agent("ana")
    customer_id = f"c-{secrets.token_hex(4)}"
    escalation_id, _, _ = customer_with(desk, customer={"id": customer_id, "signature": sign(secret, customer_id)},
                                        attributes={"first_name": "Maria", "name": "Maria Lopez"})
    assert desk.detail("ana", escalation_id)["customer_name"] == "Maria"


def test_a_claim_over_capacity_is_a_409_in_words():
    desk = Desk()
    desk.agent("ana", capacity=1)
    first, _, _ = desk.waiting()
    second, _, _ = desk.waiting()
    assert desk.post("ana", f"/api/escalations/{first}/claim").status_code == 200
    refused = desk.post("ana", f"/api/escalations/{second}/claim")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("You already have 1 conversation open, your limit is 1")
    assert desk.detail("ana", second)["status"] == "queued"


def test_the_detail_carries_the_customers_earlier_conversations_with_article_titles():
    desk = Desk()
    desk.agent("ana")
    customer_id = f"c-{secrets.token_hex(4)}"
    article_id = f"router-reset-{secrets.token_hex(3)}"
    with session_scope() as session:
        session.add(Article(id=article_id, title="Resetting your router", kind="howto", status="published"))
    earlier = []
    for _ in range(2):
        created = desk.client.post("/api/conversations", json={"customer": {"id": customer_id}}).json()
        earlier.append(created["id"])
    with session_scope() as session:
        log.record(session, earlier[0], "answer", article_id=article_id)
        for conversation_id in earlier:
            rescore(session, conversation_id, load_journey(), utcnow())
    escalation_id, conversation_id, _ = customer_with(desk, customer={"id": customer_id})
    history = desk.detail("ana", escalation_id)["history"]
    assert (history["customer_id"], history["verified"], history["linked_by"]) == (customer_id, False, "customer")
    assert [c["conversation_id"] for c in history["conversations"]] == earlier[::-1]   # newest first
    oldest = history["conversations"][-1]
    assert oldest["articles"] == [{"id": article_id, "title": "Resetting your router"}]
    assert oldest["stage"] and oldest["resolution"] and 0 <= oldest["experience_score"] <= 100
    assert conversation_id not in [c["conversation_id"] for c in history["conversations"]]

    alone, _, _ = desk.waiting()                            # nothing links it to anyone
    assert desk.detail("ana", alone)["history"] == {"customer_id": None, "verified": False, "linked_by": None,
                                                    "conversations": [], "more": 0, "open_follow_ups": []}


def test_the_history_lists_open_follow_ups_on_other_conversations_of_the_agents_teams():
    desk = Desk()
    desk.agent("ana")
    desk.agent("tom", teams=[desk.other_team])
    visitor = secrets.token_hex(10)
    _, before, before_customer = customer_with(desk, visitor=visitor)
    desk.client.post(f"/api/conversations/{before}/follow-up", headers=before_customer,
                     json={"email": "lee@example.com", "note": "the bill from May"})
    escalation_id, _, _ = customer_with(desk, visitor=visitor)
    history = desk.detail("ana", escalation_id)["history"]
    assert history["linked_by"] == "visitor" and [c["conversation_id"] for c in history["conversations"]] == [before]
    [follow_up] = history["open_follow_ups"]
    assert follow_up["note"] == "the bill from May" and follow_up["mails"][0]["kind"] == "follow_up_ack"


def link(session, customer: str | None, attributes: dict, visitor: str | None = None, secret: str = ""):
    from conversations import customers
    from touchpoints import conversations

    signature = customers.sign(secret, customer) if secret and customer else None
    identity = customers.check(secret, customer, signature, attributes, visitor)
    conversation, _ = conversations.create(session, identity.attributes or None)
    customers.link(session, conversation, identity)
    return conversation


@pytest.mark.postgres
def test_the_name_and_the_history_read_the_same_on_postgresql(postgres_url):
    """The queries behind customer_name and history, on PostgreSQL: the boolean ordering of
    follow-ups (this conversation's first), the outer join to touchpoints, the team filter."""
    from routing.models import FollowUp
    from web.api.canned import customer_name
    from web.api.history import history

    customer = f"pg-{secrets.token_hex(4)}"
    with session_scope(postgres_url) as session:
        session.add(Article(id="pg-bill", title="Reading your first bill", kind="howto", status="published"))
        first = link(session, customer, {"name": "Unverified Name"})
        second = link(session, customer, {})
        live = link(session, customer, {})
        session.add_all([FollowUp(conversation_id=first.id, email="a@example.com", name="Alex", team="billing"),
                         FollowUp(conversation_id=live.id, email="a@example.com", name="Al", team="billing"),
                         FollowUp(conversation_id=second.id, email="b@example.com", team="sales")])
        log.record(session, first.id, "answer", article_id="pg-bill")
        rescore(session, first.id, load_journey(), utcnow())
        session.flush()
        assert customer_name(session, live.id) == "Al"                    # this conversation's own first
        assert customer_name(session, second.id) == "Al"                  # else the customer's newest
        seen = history(session, live.id, ["billing"])
        assert [c.conversation_id for c in seen.conversations] == [second.id, first.id]
        assert [a.title for a in seen.conversations[1].articles] == ["Reading your first bill"]
        assert seen.conversations[0].stage is None                        # not scored yet
        assert [f.name for f in seen.open_follow_ups] == ["Alex"]         # sales' one is not theirs
        assert len(history(session, live.id, None).open_follow_ups) == 2
        session.rollback()

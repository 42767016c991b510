"""Personalization as customers meet it: the answer action reads the customer's journey from the
database and passes it to routing, so a signed-in customer at the decision stage is offered the fit
check, and one whose last two contacts this week went unresolved goes to a person, more urgently."""

import secrets
import uuid
from datetime import timedelta

import pytest
from test_routing_actions import run, search, services, tracker  # noqa: F401  (search is a fixture)

from actions.answer import FIT_INVITE, ActionAnswerFromKb
from actions.handoff import ActionEscalate
from candor.db import utcnow
from touchpoints import conversations, log
from touchpoints.customer_models import Customer
from touchpoints.models import Conversation, Touchpoint

pytestmark = pytest.mark.unit


def customer_with(session, *visits: tuple[str, str], verified: bool = True) -> str:
    """A customer with earlier conversations (stage, outcome), each started days ago and long over;
    returns a new conversation of theirs, as a signed (or unsigned) page starts it."""
    customer = f"pers-{secrets.token_hex(4)}"
    session.add(Customer(id=customer, verified=verified, attributes={}))
    session.flush()
    now = utcnow()
    for days, (stage, resolution) in enumerate(visits, start=1):
        conversation = Conversation(id=str(uuid.uuid4()), token_hash="x" * 64, attributes={},
                                    created_at=now - timedelta(days=days), customer_id=customer)
        session.add(conversation)
        session.flush()
        session.add(Touchpoint(conversation_id=conversation.id, stage=stage, resolution=resolution, sentiments=[],
                               satisfaction=3.0, satisfaction_predicted=True, experience_score=50, formula_version=1,
                               started_at=now - timedelta(days=days),
                               last_activity_at=now - timedelta(days=days) + timedelta(minutes=5),
                               escalation_reasons=[], articles=[]))
    current, _ = conversations.create(session, {"verified": True} if verified else {})
    current.customer_id = customer
    session.commit()
    return current.id


def test_a_signed_in_customer_deciding_is_offered_the_fit_check(search, session):  # noqa: F811
    sender = customer_with(session, ("decision", "answered_unconfirmed"))
    message = run(ActionAnswerFromKb(services(search)), tracker("how much is installation?", sender=sender))
    assert message["text"].startswith("Installation is free")
    assert FIT_INVITE in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/feedback_helpful", "/feedback_unhelpful", "/check_fit"]
    assert message["custom"]["decision"]["reasons"] == ["verified_deciding_fit_check"]


def test_the_same_customer_unsigned_gets_the_plain_answer(search, session):  # noqa: F811
    sender = customer_with(session, ("decision", "answered_unconfirmed"), verified=False)
    message = run(ActionAnswerFromKb(services(search)), tracker("how much is installation?", sender=sender))
    assert FIT_INVITE not in message["text"]
    assert "/check_fit" not in [b["payload"] for b in message["buttons"]]
    assert "reasons" not in message["custom"]["decision"]


def test_two_unresolved_contacts_this_week_go_to_a_person_first(search, session):  # noqa: F811
    sender = customer_with(session, ("consideration", "abandoned"), ("consideration", "unresolved"))
    message = run(ActionAnswerFromKb(services(search)), tracker("how much is installation?", sender=sender))
    handoff = message["custom"]["handoff"]
    assert (handoff["reasons"], handoff["team"], handoff["priority"]) == (["repeat_unresolved_contacts"], "billing", 1)
    assert handoff["evidence"]["unresolved_contacts"] == 2
    assert "connecting you with a person" in message["text"]

    # Asking for a person: the request, and the rule that made it more urgent.
    asked = run(ActionEscalate(services(search)), tracker("/request_human", "request_human", 1.0, sender=sender))
    assert (asked["custom"]["handoff"]["reasons"], asked["custom"]["handoff"]["priority"]) == (
        ["explicit_request", "repeat_unresolved_contacts"], 1)


def test_a_customer_who_left_the_queue_is_not_sent_back_to_it(search, session):  # noqa: F811
    sender = customer_with(session, ("consideration", "abandoned"), ("consideration", "unresolved"))
    log.record(session, sender, "escalated", escalation_id=1, reasons=["repeat_unresolved_contacts"])
    session.commit()
    message = run(ActionAnswerFromKb(services(search)), tracker("how much is installation?", sender=sender))
    assert "handoff" not in message["custom"] and message["text"].startswith("Installation is free")

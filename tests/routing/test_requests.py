"""An explicit request for a person is decided by the router, offers accepted included."""

import pytest

from routing.policy import Decision, Router, Turn
from routing.requests import on_request

pytestmark = pytest.mark.unit

ROUTER = Router()


@pytest.mark.parametrize(
    ("turn", "offer", "reasons", "team", "priority"),
    [
        # A confident request: the router's own escalation, unchanged.
        (Turn(None, "request_human", 0.95), None, ["explicit_request"], "general", 2),
        # A complaint stays a complaint (more urgent than a plain request).
        (Turn(None, "complain", 0.9), None, ["complaint"], "support", 1),
        # The header button or a "yes" the NLU was unsure of: still the customer's choice.
        (Turn(None, "affirm", 0.4), None, ["explicit_request"], "general", 2),
        (Turn(None, None, 0.0), None, ["explicit_request"], "general", 2),
        # Accepting an offer: its reasons join, its team takes it, the more urgent priority wins.
        (Turn(None, "affirm", 0.9),
         Decision("offer", ["low_confidence"], team="billing", priority=3, evidence={"confidence": 0.41}),
         ["explicit_request", "low_confidence"], "billing", 2),
        (Turn(None, "request_human", 0.95),
         Decision("offer", ["negative_sentiment"], team="technical", priority=1, evidence={"sentiment": -0.8}),
         ["explicit_request", "negative_sentiment"], "technical", 1),
        # The same reason twice is listed once.
        (Turn(None, "request_human", 0.95), Decision("offer", ["explicit_request"], team="sales", priority=2),
         ["explicit_request"], "sales", 2),
    ],
)
def test_a_request_for_a_person_is_always_a_handoff(turn, offer, reasons, team, priority):
    decision = on_request(ROUTER, turn, offer)
    assert (decision.action, decision.reasons, decision.team) == ("escalate", reasons, team)
    assert decision.priority == priority


def test_the_offer_evidence_reaches_the_person_and_the_turn_s_own_wins_on_a_clash():
    offer = Decision("offer", ["low_confidence"], team="billing", evidence={"confidence": 0.41, "intent": "ask_cost"})
    decision = on_request(ROUTER, Turn(None, "request_human", 0.95), offer)
    assert decision.evidence["confidence"] == 0.41
    assert decision.evidence["intent"] == "request_human"


def test_the_offer_is_not_changed():
    offer = Decision("offer", ["low_confidence"], team="billing", priority=3)
    on_request(ROUTER, Turn(None, "request_human", 0.95), offer)
    assert (offer.action, offer.reasons, offer.team) == ("offer", ["low_confidence"], "billing")

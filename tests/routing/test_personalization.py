"""Personalization from the customer's journey (policy.yml `personalization`): rules validated at load
with errors that name the rule and say what to change; the shipped rules on real turns, each showing
up as a reason code; unverified attributes only ever raising priority; and the journey facts the
actions read from the database."""

import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from candor.db import utcnow
from knowledge.search import Hit, SearchResult
from routing.config import DEFAULT_POLICY
from routing.policy import JourneyFacts, PolicyError, Router, Turn, load_policy
from routing.requests import on_request
from touchpoints import log
from touchpoints.customer_models import Customer, Visitor
from touchpoints.journey_facts import journey_facts
from touchpoints.models import Conversation, Touchpoint

pytestmark = pytest.mark.unit
FIT = "verified_deciding_fit_check"
REPEAT = "repeat_unresolved_contacts"


def result(decision: str = "answer", kind: str = "cost") -> SearchResult:
    return SearchResult("q", [Hit("a", "A", kind, None, 0.8, "passage", "q", ())], 0.9, decision)


def policy_with(tmp_path: Path, rules: list[dict]) -> Path:
    raw = yaml.safe_load(DEFAULT_POLICY.read_text())
    raw["personalization"] = rules
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(("rule", "words"), [
    ({"name": "deciders", "when": {"stage": ["deciding"]}, "then": {"offer_fit_check": True}},
     "unknown stage(s) ['deciding']; use awareness, consideration, decision, retention, advocacy"),
    ({"name": "pro_to_sales", "when": {"attributes": {"plan": "pro"}}, "then": {"team": "sales"}},
     "rule 'pro_to_sales' matches attributes from the site, which are unverified unless the customer id was "
     "signed, so it may only raise priority: add 'verified: true'"),
    ({"name": "pro_escalates", "when": {"verified": False, "attributes": {"plan": "pro"}}, "then": {"escalate": True}},
     "may only raise priority"),
    ({"name": "everyone", "when": {}, "then": {"priority": 1}}, "rule 'everyone' has no condition under 'when'"),
    ({"name": "idle", "when": {"verified": True}, "then": {}}, "rule 'idle' does nothing"),
    ({"name": "Fit Check!", "when": {"verified": True}, "then": {"priority": 2}}, "personalization.0.name"),
    ({"name": "typo", "when": {"verified": True}, "then": {"escalat": True}}, "personalization.0.then.escalat"),
    ({"name": "urgent", "when": {"verified": True}, "then": {"priority": 0}}, "personalization.0.then.priority"),
    ({"name": "complaint", "when": {"verified": True}, "then": {"priority": 1}},
     "personalization rule name 'complaint' is used twice (or is a built-in reason code"),
])
def test_a_bad_rule_stops_the_load_with_words(tmp_path, rule, words):
    with pytest.raises(PolicyError) as error:
        load_policy(policy_with(tmp_path, [rule]))
    assert words in str(error.value)


def test_two_rules_with_one_name_are_refused(tmp_path):
    rule = {"name": "twice", "when": {"verified": True}, "then": {"priority": 2}}
    with pytest.raises(PolicyError, match="'twice' is used twice"):
        load_policy(policy_with(tmp_path, [rule, rule]))


def test_the_shipped_rules_load():
    assert [rule.name for rule in load_policy().personalization] == [FIT, REPEAT]


VERIFIED = {"verified": True}
DECIDING = JourneyFacts(stage="decision")
TWO_UNRESOLVED = JourneyFacts(stage="consideration", unresolved_contacts=2)


@pytest.mark.parametrize(("turn", "action", "reasons", "team", "priority", "fit_check"), [
    # A verified customer whose journey is at the decision stage is offered the fit check with the answer.
    (Turn(result(), "ask_cost", 0.9, attributes=VERIFIED, journey=DECIDING), "answer", [FIT], "general", 3, True),
    (Turn(result(), "ask_cost", 0.9, attributes=VERIFIED, stage="decision"), "answer", [FIT], "general", 3, True),
    # Not signed, or signed but still considering: no rule, the plain answer.
    (Turn(result(), "ask_cost", 0.9, journey=DECIDING), "answer", [], "general", 3, False),
    (Turn(result(), "ask_cost", 0.9, attributes={"verified": "true"}, journey=DECIDING), "answer", [], "general", 3,
     False),
    (Turn(result(), "ask_cost", 0.9, attributes={**VERIFIED, "stage": "decision"},
          journey=JourneyFacts(stage="consideration")), "answer", [], "general", 3, False),
    # Two contacts this week that ended unresolved: a person, more urgently, whatever the bot could say.
    (Turn(result(), "ask_cost", 0.9, journey=TWO_UNRESOLVED), "escalate", [REPEAT], "billing", 1, False),
    (Turn(result("unsure", "howto"), None, 0.0, journey=TWO_UNRESOLVED), "escalate", ["low_confidence", REPEAT],
     "technical", 1, False),
    (Turn(result(), "ask_cost", 0.9, journey=JourneyFacts(unresolved_contacts=1)), "answer", [], "general", 3, False),
    # Already a complaint at priority 1: the rule changes nothing, so it adds no reason.
    (Turn(None, "complain", 0.9, journey=TWO_UNRESOLVED), "escalate", ["complaint"], "support", 1, False),
    # Once this conversation went to a person (and the customer left the queue), the rule only raises priority.
    (Turn(result(), "ask_cost", 0.9, journey=JourneyFacts(unresolved_contacts=2, escalated_here=True)), "answer", [],
     "general", 3, False),
    (Turn(result("unsure", "howto"), None, 0.0, journey=JourneyFacts(unresolved_contacts=2, escalated_here=True)),
     "offer", ["low_confidence", REPEAT], "technical", 1, False),
    # Small talk asks nothing yet.
    (Turn(None, "greet", 0.9, text="hi", journey=TWO_UNRESOLVED), "chat", ["smalltalk"], "general", 3, False),
])
def test_the_shipped_rules(turn, action, reasons, team, priority, fit_check):
    decision = Router().decide(turn)
    assert (decision.action, decision.reasons, decision.offer_fit_check) == (action, reasons, fit_check)
    if action != "answer":
        assert (decision.team, decision.priority) == (team, priority)
    if reasons and reasons[-1] in (FIT, REPEAT):
        assert decision.evidence["verified"] is (turn.attributes.get("verified") is True)


def test_an_explicit_request_keeps_the_rule_that_raised_it():
    decision = on_request(Router(), Turn(None, "request_human", 0.4, journey=TWO_UNRESOLVED))
    assert (decision.action, decision.reasons, decision.priority) == ("escalate", ["explicit_request", REPEAT], 1)
    assert decision.evidence["unresolved_contacts"] == 2


def test_unverified_attributes_may_raise_priority_and_nothing_else(tmp_path):
    router = Router(load_policy(policy_with(tmp_path, [
        {"name": "business_customers", "when": {"attributes": {"plan": "business"}}, "then": {"priority": 1}},
        {"name": "signed_business_to_sales", "when": {"verified": True, "attributes": {"plan": "business"}},
         "then": {"team": "sales"}},
    ])))
    unsure = result("unsure", "howto")
    plain = router.decide(Turn(unsure, None, 0.0, attributes={"plan": "Business"}))
    assert (plain.action, plain.reasons, plain.team, plain.priority) == (
        "offer", ["low_confidence", "business_customers"], "technical", 1)
    signed = router.decide(Turn(unsure, None, 0.0, attributes={"plan": "business", "verified": True}))
    assert (signed.reasons, signed.team, signed.priority) == (
        ["low_confidence", "business_customers", "signed_business_to_sales"], "sales", 1)
    # An answer has no priority to raise: the rule leaves it as it is.
    assert router.decide(Turn(result(), "ask_cost", 0.9, attributes={"plan": "business"})).reasons == []


def test_a_stage_the_site_sent_earns_a_sales_offer_only_when_signed():
    fit = result("answer", "fit")
    unsigned = Router().decide(Turn(fit, "check_fit", 0.9, attributes={"stage": "decision"}, plan_price=65.0))
    assert unsigned.action == "answer"
    signed = Router().decide(Turn(fit, "check_fit", 0.9, attributes={"stage": "decision", "verified": True},
                                  plan_price=65.0))
    assert (signed.action, signed.reasons[0], signed.team) == ("offer", "high_value_decision", "sales")


def _visit(session, customer=None, visitor=None, *, ago, stage="consideration", resolution="abandoned",
           silent_for=timedelta(hours=1)):
    """A conversation started ``ago``, scored, last active ``silent_for`` before now (None: not scored)."""
    now = utcnow()
    conversation = Conversation(id=str(uuid.uuid4()), token_hash="x" * 64, attributes={}, created_at=now - ago,
                                customer_id=customer, visitor_id=visitor)
    session.add(conversation)
    session.flush()
    if stage:
        session.add(Touchpoint(conversation_id=conversation.id, stage=stage, resolution=resolution, sentiments=[],
                               satisfaction=3.0, satisfaction_predicted=True, experience_score=50, formula_version=1,
                               started_at=now - ago, last_activity_at=now - min(ago, silent_for),
                               escalation_reasons=[], articles=[]))
        session.flush()
    return conversation.id


def test_journey_facts_count_contacts_that_ended_unresolved_this_week(session):
    customer, browser = f"facts-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    session.add(Customer(id=customer, verified=True, attributes={}))
    session.add(Visitor(id=browser))
    session.flush()
    _visit(session, customer, ago=timedelta(days=2))                                   # counts
    _visit(session, customer, ago=timedelta(days=5), resolution="unresolved")          # counts: over, unresolved
    _visit(session, customer, ago=timedelta(days=8))                                   # last week
    _visit(session, customer, ago=timedelta(days=1), resolution="answered_confirmed")  # resolved
    _visit(session, customer, ago=timedelta(minutes=20), resolution="unresolved",      # still going
           silent_for=timedelta(minutes=2))
    _visit(session, visitor=browser, ago=timedelta(days=1))                            # another journey
    current = _visit(session, customer, ago=timedelta(minutes=1), stage="decision", resolution="unresolved")
    assert journey_facts(session, current, utcnow()) == JourneyFacts(stage="decision", unresolved_contacts=2)
    log.record(session, current, "escalated", escalation_id=1, reasons=["repeat_unresolved_contacts"])
    session.flush()
    assert journey_facts(session, current, utcnow()).escalated_here is True

    # A browser's journey, before sign-in: its own conversations only; the first, not yet scored.
    first = _visit(session, visitor=browser, ago=timedelta(seconds=5), stage=None)
    assert journey_facts(session, first, utcnow()) == JourneyFacts(stage="consideration", unresolved_contacts=1)
    anonymous = _visit(session, ago=timedelta(seconds=5), stage=None)
    assert journey_facts(session, anonymous, utcnow()) == JourneyFacts()


@pytest.mark.postgres
@pytest.mark.integration
def test_the_same_journey_facts_on_postgres(postgres_url):
    from candor.db import session_scope

    with session_scope(postgres_url) as session:
        test_journey_facts_count_contacts_that_ended_unresolved_this_week(session)
        session.rollback()

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from knowledge.search import Hit, SearchResult
from routing.hours import describe_opening
from routing.policy import PolicyError, Router, Turn, load_policy

pytestmark = pytest.mark.unit

LONDON = ZoneInfo("Europe/London")


def result(decision: str, kind: str = "cost", confidence: float = 0.9, tags: tuple[str, ...] = (),
           similarity: float = 0.0) -> SearchResult:
    hit = Hit("a", "A", kind, None, 0.8, "passage", "q", tags)
    return SearchResult("q", [hit], confidence, decision, features=[0.0, 0.0, 0.0, similarity, 0.0])


@pytest.mark.parametrize(
    ("turn", "action", "reasons", "team", "priority"),
    [
        (Turn(result("answer"), "ask_cost", 0.9), "answer", [], "general", 3),
        (Turn(result("unsure", "cost"), "ask_cost", 0.9), "offer", ["low_confidence"], "billing", 3),
        (Turn(result("unsure", "howto"), None, 0.0), "offer", ["low_confidence"], "technical", 3),
        (Turn(None, "request_human", 0.95), "escalate", ["explicit_request"], "general", 2),
        (Turn(None, "complain", 0.9), "escalate", ["complaint"], "support", 1),
        # An unsure NLU guess at "human" does not override a confident knowledge answer.
        (Turn(result("answer"), "request_human", 0.3), "answer", [], "general", 3),
        (Turn(None, "out_of_scope", 0.9), "offer", ["out_of_scope"], "general", 4),
        # A confident answer is still not pushed on a customer who is clearly upset…
        (Turn(result("answer"), "ask_cost", 0.9, sentiment=-0.8), "offer", ["negative_sentiment"], "billing", 2),
        (Turn(result("answer"), "ask_cost", 0.9, sentiment=-0.3), "answer", [], "general", 3),
        # …or after the bot already failed twice in a row.
        (Turn(result("answer", "howto"), "ask_howto", 0.9, failures_in_a_row=2), "offer",
         ["repeated_failure"], "technical", 2),
        (Turn(result("unsure"), None, 0.0, sentiment=-0.9, failures_in_a_row=3), "offer",
         ["negative_sentiment", "repeated_failure"], "billing", 2),
        (Turn(result("answer"), "ask_cost", 0.9, failures_in_a_row=1), "answer", [], "general", 3),
        # An explicit request wins over everything else.
        (Turn(result("answer"), "request_human", 0.9, sentiment=-0.9), "escalate", ["explicit_request"], "general", 2),
        # Topics a person always handles: by phrase in the message…
        (Turn(result("answer"), "ask_cost", 0.9, text="I was charged twice for November"), "escalate",
         ["human_topic"], "billing", 2),
        (Turn(None, None, 0.0, text="Can you QUOTE for   multiple sites?"), "escalate", ["human_topic"], "sales", 2),
        # …or by the tags of the article the bot is sure about (not one it is unsure of).
        (Turn(result("answer", "howto", tags=("cancellation", "leaving")), "ask_howto", 0.9), "escalate",
         ["human_topic"], "retention", 2),
        (Turn(result("unsure", "howto", tags=("cancellation",)), "ask_howto", 0.9), "offer",
         ["low_confidence"], "technical", 3),
        # Whole words only: "disputed" is not "dispute", "quotes" is not "quote".
        (Turn(result("answer"), "ask_cost", 0.9, text="famous quotes about undisputed speed"), "answer", [], "", 0),
        # Deciding on a dear plan: answer, and offer a person from sales.
        # A stage the site sent counts only when signed (test_personalization has the unsigned case).
        (Turn(result("answer", "fit"), "check_fit", 0.9, attributes={"stage": "decision", "verified": True},
              plan_price=65.0), "offer",
         ["high_value_decision"], "sales", 2),
        (Turn(result("answer", "fit"), "check_fit", 0.9, stage="decision", plan_price=65.0), "offer",
         ["high_value_decision"], "sales", 2),
        (Turn(result("answer", "fit"), "check_fit", 0.9, stage="decision", plan_price=35.0), "answer", [], "", 0),
        (Turn(result("answer", "fit"), "check_fit", 0.9, stage="awareness", plan_price=65.0), "answer", [], "", 0),
        # VIPs wait less: one priority step more urgent.
        (Turn(result("unsure"), None, 0.0, attributes={"vip": True}), "offer", ["low_confidence"], "billing", 2),
        (Turn(None, "complain", 0.9, attributes={"vip": "true"}), "escalate", ["complaint"], "support", 1),
    ],
)
def test_decision_table(turn, action, reasons, team, priority):
    check(turn, action, reasons, team, priority)


# Intent x KB confidence x sentiment x wording -> decision: one decision, not two competing ones.
@pytest.mark.parametrize(
    ("turn", "action", "reasons", "team", "priority"),
    [
        # A "complaint" the KB is sure of, asked as a neutral question, is answered with an offer…
        (Turn(result("answer", "fit"), "complain", 0.9, text="Is Kestrel Fibre the right provider for me?"),
         "offer", ["possible_complaint"], "sales", 2),
        # …a negative one is answered *and* queued (the action shows the sure article while waiting)…
        (Turn(result("answer", "cost"), "complain", 0.9, sentiment=-0.6,
              text="this is ridiculous, how much is it to leave early?"), "escalate", ["complaint"], "support", 1),
        # …and so is one that asks nothing, or one the KB cannot answer.
        (Turn(result("answer"), "complain", 0.9, text="third outage this week, useless"), "escalate",
         ["complaint"], "support", 1),
        (Turn(result("unsure"), "complain", 0.9, sentiment=-0.6, text="why is my internet always down? useless"),
         "escalate", ["complaint"], "support", 1),
        # A calm question the NLU calls a complaint and the KB cannot answer is offered a person, not queued.
        (Turn(result("unsure"), "complain", 0.9, text="can I buy a gift voucher for broadband?"), "offer",
         ["possible_complaint"], "billing", 2),
        # A weak complaint guess is no complaint: the KB decides.
        (Turn(result("answer"), "complain", 0.4, text="why is my bill higher this month??"), "answer", [], "", 0),
        # An explicit request for a person wins over a sure answer.
        (Turn(result("answer"), "request_human", 0.9, text="can I talk to a person about the router fee?"),
         "escalate", ["explicit_request"], "general", 2),
        # The NLU's "request_human" on a message naming no person (CLINC150 dev: "call aj please",
        # "please spell doctor") is answered when the KB is sure, with a person offered beside it…
        (Turn(result("answer"), "request_human", 0.9, text="call aj please"), "offer", ["possible_request"],
         "billing", 3),
        # …and handed over when the KB is not, or when it names a person or a way to reach one, or is
        # the "Talk to a person" button's payload.
        (Turn(result("unsure"), "request_human", 0.9, text="call aj please"), "escalate", ["explicit_request"],
         "general", 2),
        (Turn(result("answer"), "request_human", 0.9, text="can someone from billing ring me back"), "escalate",
         ["explicit_request"], "general", 2),
        (Turn(result("answer"), "request_human", 0.9, text="is there a number i can call"), "escalate",
         ["explicit_request"], "general", 2),
        (Turn(result("answer"), "request_human", 0.9, text="can i ring you instead"), "escalate",
         ["explicit_request"], "general", 2),
        (Turn(result("answer"), "request_human", 0.9, text="/request_human"), "escalate", ["explicit_request"],
         "general", 2),
        # Small talk gets its own reply, unless it also asks something the KB is sure of.
        (Turn(result("unsure"), "greet", 0.95, text="hi"), "chat", ["smalltalk"], "", 0),
        (Turn(result("answer"), "greet", 0.95, text="hello"), "chat", ["smalltalk"], "", 0),
        (Turn(result("answer"), "greet", 0.9, text="hi! how much is installation?"), "answer", [], "", 0),
        (Turn(result("unsure"), "greet", 0.9, text="hi! how much is installation?"), "chat", ["smalltalk"], "", 0),
        # A question close to some article is a question, small talk or not: offered with its closest articles.
        (Turn(result("unsure", confidence=0.3, similarity=0.5), "greet", 0.9,
              text="hello! is there a monthly usage allowance?"), "offer", ["low_confidence"], "billing", 3),
        (Turn(result("unsure", confidence=0.1, similarity=0.2), "greet", 0.9, text="how are you?"),
         "chat", ["smalltalk"], "", 0),
        (Turn(result("answer"), "thank", 0.9, text="thanks a lot"), "chat", ["smalltalk"], "", 0),
        (Turn(result("unsure", confidence=0.1, similarity=0.2), "thank", 0.9,
              text="thanks so much, have a lovely evening"), "chat", ["smalltalk"], "", 0),
        # A long message near an article says more than small talk, question-shaped or not (customer
        # voice: this was "Bye for now!")…
        (Turn(result("unsure", confidence=0.3, similarity=0.5), "goodbye", 0.9,
              text="I paid on time and still got a late fee, I want it taken off"), "escalate", ["human_topic"],
         "billing", 2),
        # …and "keep trying" is small talk too ("are you using carrier grade NAT" was taken for it).
        (Turn(result("unsure", confidence=0.3, similarity=0.5), "keep_bot", 0.9,
              text="are you using carrier grade NAT"), "offer", ["low_confidence"], "billing", 3),
        (Turn(result("unsure", confidence=0.1, similarity=0.2), "keep_bot", 0.9, text="/keep_bot"),
         "chat", ["smalltalk"], "", 0),
        # A question with one mildly negative word is no complaint (VADER -0.1 for "against").
        (Turn(result("answer", "howto"), "complain", 0.92, sentiment=-0.1,
              text="can my company pay by bank transfer against an invoice"), "offer", ["possible_complaint"],
         "technical", 2),
        # A wrong off-topic guess does not hide a sure article; a real off-topic message gets an offer.
        (Turn(result("answer"), "out_of_scope", 0.9, text="cn i use my own routr"), "answer", [], "", 0),
        (Turn(result("unsure"), "out_of_scope", 0.9, text="do you sell TV packages"), "offer", ["out_of_scope"],
         "billing", 4),
        # A question *about* a topic a person handles is answered, with an offer of that team…
        (Turn(result("answer", "policy", tags=("cancellation",)), "ask_policy", 0.9,
              text="can I cancel in the first 14 days"), "offer", ["human_topic"], "retention", 2),
        (Turn(result("answer", "howto", tags=("cancellation",)), "ask_howto", 0.9,
              text="how much notice do I have to give to cancel my contract?"), "offer", ["human_topic"],
         "retention", 2),
        # …a request to act queues at once, question-shaped or not.
        (Turn(result("answer", "howto", tags=("cancellation",)), "ask_howto", 0.9, text="cancel my account"),
         "escalate", ["human_topic"], "retention", 2),
        (Turn(result("answer", "howto", tags=("cancellation",)), "ask_howto", 0.9,
              text="can you cancel my contract please?"), "escalate", ["human_topic"], "retention", 2),
        (Turn(result("answer", "howto", tags=("cancellation",)), "ask_howto", 0.9, text="I want to leave Kestrel"),
         "escalate", ["human_topic"], "retention", 2),
        # …and a question about it that the KB is unsure of is offered the team (and its closest articles).
        (Turn(result("unsure", "howto", tags=("cancellation",)), "ask_howto", 0.9, text="how do I cancel my account?"),
         "offer", ["human_topic"], "retention", 2),
        (Turn(result("unsure", "policy"), "ask_policy", 0.9,
              text="moving to london where you don't operate, will I have to pay to end my contract"),
         "offer", ["human_topic"], "retention", 2),
        # A request for a person inside a question the NLU read as something else.
        (Turn(result("answer"), "ask_cost", 0.96,
              text="I'd like to speak to someone, how much would it cost me to leave early"),
         "escalate", ["explicit_request"], "general", 2),
    ],
)
def test_fusion_table(turn, action, reasons, team, priority):
    check(turn, action, reasons, team, priority)


def test_decisions_keep_the_intent_as_evidence():
    decision = Router().decide(Turn(result("answer"), "ask_cost", 0.87, text="how much?"))
    assert decision.evidence["intent"] == "ask_cost" and decision.evidence["intent_confidence"] == 0.87


def check(turn, action, reasons, team, priority):
    decision = Router().decide(turn)
    assert (decision.action, decision.reasons) == (action, reasons)
    if action not in ("answer", "chat"):
        assert (decision.team, decision.priority) == (team, priority)


def test_the_shipped_policy_is_valid():
    config = load_policy()
    assert set(config.human_topics) >= {"cancellation", "billing_dispute", "custom_quote"}


@pytest.mark.parametrize(
    ("local_time", "open_now", "opens_at"),
    [
        (datetime(2026, 11, 23, 9, 0), True, None),                      # Monday morning
        (datetime(2026, 11, 23, 20, 0), False, datetime(2026, 11, 24, 8, 0)),  # Monday, closing time
        (datetime(2026, 11, 28, 16, 59), True, None),                    # Saturday, shorter hours
        (datetime(2026, 11, 28, 17, 30), False, datetime(2026, 11, 30, 8, 0)),  # closed on Sunday
        (datetime(2026, 12, 24, 21, 0), False, datetime(2026, 12, 28, 8, 0)),   # Christmas, Boxing Day, Sunday
        (datetime(2026, 11, 23, 6, 0), False, datetime(2026, 11, 23, 8, 0)),
    ],
)
def test_business_hours(local_time, open_now, opens_at):
    now = local_time.replace(tzinfo=LONDON).astimezone(UTC)
    decision = Router().decide(Turn(None, "request_human", 0.9, now=now))
    assert decision.action == "escalate"  # closed or not, the request queues; nothing is lost
    assert decision.team_open is open_now
    expected = opens_at.replace(tzinfo=LONDON) if opens_at else None
    assert decision.opens_at == expected


def test_opening_described_in_the_business_time_zone():
    now = datetime(2026, 11, 28, 17, 30, tzinfo=LONDON)
    assert describe_opening(datetime(2026, 11, 30, 8, 0, tzinfo=LONDON), now) == "on Monday at 08:00"
    assert describe_opening(datetime(2026, 11, 29, 9, 0, tzinfo=LONDON), now) == "tomorrow at 09:00"
    assert describe_opening(datetime(2026, 11, 28, 19, 0, tzinfo=LONDON), now) == "at 19:00"
    assert describe_opening(None, now) == "as soon as they can"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("business_hours:\n  timezone: Mars/Olympus\n", "unknown time zone"),
        ("business_hours:\n  weekly: {mon: '20:00-08:00'}\n", "closes before it opens"),
        ("business_hours:\n  weekly: {funday: '08:00-20:00'}\n", "not a weekday"),
        ("human_topics:\n  refunds: {team: billing}\n", "at least one of tags or phrases"),
        ("priorities: {complaint: 0}\n", "priorities.complaint"),
    ],
)
def test_policy_errors_say_what_is_wrong(tmp_path, text, complaint):
    bad = tmp_path / "policy.yml"
    bad.write_text(text)
    with pytest.raises(PolicyError, match=complaint):
        load_policy(bad)


def test_invalid_policy_file_names_the_key(tmp_path):
    bad = tmp_path / "policy.yml"
    bad.write_text("min_intent_confidence: 2\nsurprise: 1\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(bad)
    assert "min_intent_confidence" in str(caught.value) and "surprise" in str(caught.value)


def ranked(decision: str, confidence: float, similarity: float,
           ids: tuple[str, ...] = ("a", "b", "c", "d")) -> SearchResult:
    hits = [Hit(i, i.upper(), "cost", None, 0.5, "passage", "q") for i in ids]
    # features: fused_max, fused_margin, best_similarity, top_similarity, head_max
    return SearchResult("q", hits, confidence, decision, features=[0.5, 0.1, similarity, similarity, 0.5])


@pytest.mark.parametrize(
    ("turn", "suggested"),
    [
        # Unsure but close: the three best articles, in the search's order.
        (Turn(ranked("unsure", 0.4, 0.6), "ask_cost", 0.9), ("a", "b", "c")),
        (Turn(ranked("unsure", 0.4, 0.6, ("a",)), "ask_cost", 0.9), ("a",)),
        # Sure: answered, nothing to choose.
        (Turn(ranked("answer", 0.9, 0.8), "ask_cost", 0.9), ()),
        # Lost: too unsure, or far from every article ("what's the weather like").
        (Turn(ranked("unsure", 0.02, 0.6), "ask_cost", 0.9), ()),
        (Turn(ranked("unsure", 0.4, 0.2), None, 0.0), ()),
        # Upset, or a calm question the NLU took for a complaint: the person and the articles.
        (Turn(ranked("unsure", 0.4, 0.6), "ask_cost", 0.9, sentiment=-0.8), ("a", "b", "c")),
        (Turn(ranked("unsure", 0.4, 0.6), "complain", 0.9, text="is the router fee refundable?"), ("a", "b", "c")),
        # Failed twice: a person is offered, not another round of guessing.
        (Turn(ranked("unsure", 0.4, 0.6), "ask_cost", 0.9, failures_in_a_row=2), ()),
        # A complaint or a request for a person goes to a person.
        (Turn(ranked("unsure", 0.4, 0.6), "request_human", 0.95), ()),
        (Turn(ranked("unsure", 0.4, 0.6), "complain", 0.9, text="you are useless", sentiment=-0.6), ()),
    ],
)
def test_suggestions_when_search_is_unsure_but_close(turn, suggested):
    decision = Router().decide(turn)
    assert decision.suggestions == suggested
    assert decision.evidence.get("suggested", []) == list(suggested)
    if suggested:
        assert decision.action == "offer"


def test_suggestions_can_be_turned_off_and_are_validated():
    config = load_policy()
    config.suggestions.count = 0
    assert Router(config).decide(Turn(ranked("unsure", 0.4, 0.6), "ask_cost", 0.9)).suggestions == ()
    from routing.config import Suggestions
    with pytest.raises(ValueError, match="less than or equal to 5"):
        Suggestions(count=9)


def test_a_question_in_text_speak_is_read_as_spelled_out_before_it_is_called_a_complaint():
    search = SearchResult("cn i use my own routr instead of urs", [Hit("own-router", "Own router", "tradeoff", None,
                                                                           0.9, "passage", "q")],
                          0.98, "answer", normalized="can i use my own router instead of yours")
    decision = Router().decide(Turn(search, "complain", 0.6, text=search.query))
    assert decision.action == "offer" and decision.reasons == ["possible_complaint"]   # answered, a person offered

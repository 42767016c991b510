import pytest

from knowledge.search import Hit, SearchResult
from routing.policy import PolicyError, Router, Turn, load_policy

pytestmark = pytest.mark.unit


def result(decision: str, kind: str = "cost", confidence: float = 0.9) -> SearchResult:
    hit = Hit("a", "A", kind, None, 0.8, "passage", "q")
    return SearchResult("q", [hit], confidence, decision)


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
    ],
)
def test_decision_table(turn, action, reasons, team, priority):
    decision = Router().decide(turn)
    assert (decision.action, decision.reasons) == (action, reasons)
    if action != "answer":
        assert (decision.team, decision.priority) == (team, priority)


def test_invalid_policy_file_names_the_key(tmp_path):
    bad = tmp_path / "policy.yml"
    bad.write_text("min_intent_confidence: 2\nsurprise: 1\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(bad)
    assert "min_intent_confidence" in str(caught.value) and "surprise" in str(caught.value)

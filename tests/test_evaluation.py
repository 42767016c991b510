"""`candor eval`'s labels and metrics, on hand-made outcomes whose figures are worked out by hand."""

import json

import pytest

from candor import eval_report
from candor.eval_bot import BotFailure, outcome_from_reply, what_the_bot_saw
from candor.evaluation import Outcome, Question, choose, metrics, misses, parse_question, read_questions

pytestmark = pytest.mark.unit


def outcome(expected=(), escalate=None, answered=None, escalated=False, ranked=None, seconds=0.01):
    q = Question("q", tuple(expected), (not expected) if escalate is None else escalate)
    return Outcome(q, answered, escalated, ranked if ranked is not None else ([answered] if answered else []),
                   seconds)


def test_read_questions_takes_every_label_form(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in [
        {"text": "how much to install", "expected": "installation-fee"},
        {"text": "which plan for gaming", "expected": ["max-900", "plus-500"]},
        {"text": "tell me a joke", "expected": None},
        {"text": "hi", "expected": None, "escalate": False},
        {"text": "I want to cancel", "expected": "cancel", "escalate": True},
        {"text": "nothing but text"},
    ]) + "\n\n")
    assert read_questions(path) == [
        Question("how much to install", ("installation-fee",), False),
        Question("which plan for gaming", ("max-900", "plus-500"), False),
        Question("tell me a joke", (), True),
        Question("hi", (), False),
        Question("I want to cancel", ("cancel",), True),
        Question("nothing but text", (), True),
    ]


@pytest.mark.parametrize("line, problem", [
    ('{"expected": "a"}', "'text'"),
    ('{"text": "", "expected": "a"}', "non-empty"),
    ('{"text": "x", "expected": 3}', "article id"),
    ('{"text": "x", "expected": ["a", 3]}', "article id"),
    ('{"text": "x", "expected": "a", "escalate": "yes"}', "true or false"),
    ('["x", "a"]', "JSON object"),
    ("{not json", "Expecting"),
])
def test_read_questions_names_the_bad_line(tmp_path, line, problem):
    path = tmp_path / "q.jsonl"
    path.write_text('{"text": "fine", "expected": null}\n' + line + "\n")
    with pytest.raises(ValueError) as caught:
        read_questions(path)
    assert "line 2" in str(caught.value) and problem in str(caught.value)


def test_an_empty_list_means_nothing_answers_it():
    assert parse_question({"text": "x", "expected": []}) == Question("x", (), True)


def test_metrics_on_hand_made_outcomes():
    outcomes = [
        outcome(["a"], answered="a", ranked=["a", "b"]),                 # right
        outcome(["a", "b"], answered="b", ranked=["b", "a"]),            # right (second acceptable id)
        outcome(["a"], answered="c", ranked=["c", "d", "a"]),            # wrong answer, rank 3
        outcome(["a"], escalated=True, ranked=["b", "a"]),               # false escalation, rank 2
        outcome(["x"], escalate=True, answered="x", escalated=True),     # right: article and a person
        outcome([], escalated=True, ranked=["a"]),                       # escalation, right
        outcome([], answered="a", ranked=["a"]),                         # unanswerable answered: wrong
        outcome([], escalate=False, escalated=True, seconds=0.03),       # chit-chat sent to a person
    ]
    m = metrics(outcomes)
    assert (m["n"], m["n_answerable"], m["n_unanswerable"], m["n_escalate"]) == (8, 5, 3, 3)
    assert m["answer_accuracy"] == 0.6                    # 3 of 5 answerable
    assert m["top1_accuracy"] == 0.6                      # a, b, x first
    assert m["recall_at_3"] == 1.0
    assert m["mrr"] == round((1 + 1 + 1 / 3 + 1 / 2 + 1) / 5, 4)
    assert m["false_escalation_rate"] == 0.25             # 1 of the 4 answerable not meant for a person
    assert m["escalation_recall"] == round(2 / 3, 4)      # the escalate-labelled [] answered was missed
    assert m["escalation_precision"] == round(2 / 4, 4)   # 4 escalated, 2 of them rightly
    assert m["wrong_answer_rate"] == 0.25                 # c for a, a for nothing: 2 of 8
    assert m["p50_ms"] == 10.0 and m["p95_ms"] == pytest.approx(23.0)


def test_an_answer_given_with_a_person_counts_only_when_a_person_was_wanted():
    wanted = metrics([outcome(["a"], escalate=True, answered="a", escalated=True)])
    unwanted = metrics([outcome(["a"], escalate=False, answered="a", escalated=True)])
    assert wanted["answer_accuracy"] == 1.0 and wanted["false_escalation_rate"] == 0.0
    assert unwanted["answer_accuracy"] == 0.0 and unwanted["false_escalation_rate"] == 1.0
    assert wanted["wrong_answer_rate"] == unwanted["wrong_answer_rate"] == 0.0


def test_an_article_to_read_while_rightly_queued_is_no_wrong_answer():
    queued = metrics([outcome([], escalate=True, answered="how-to-cancel", escalated=True)])
    answered = metrics([outcome([], escalate=True, answered="how-to-cancel", escalated=False)])
    assert queued["wrong_answer_rate"] == 0.0 and queued["escalation_recall"] == 1.0
    assert answered["wrong_answer_rate"] == 1.0 and answered["escalation_recall"] == 0.0


def test_metrics_of_nothing_are_zero():
    m = metrics([])
    assert m["n"] == 0 and m["answer_accuracy"] == 0.0 and m["mrr"] == 0.0 and m["wrong_answer_rate"] == 0.0


def test_misses_are_named():
    assert misses(outcome(["a"], answered="a")) == []
    assert misses(outcome(["a"], answered="b")) == ["wrong answer"]
    assert misses(outcome(["a"], escalated=True)) == ["false escalation"]
    assert misses(outcome([], answered="b")) == ["wrong answer", "missed escalation"]
    assert misses(outcome(["a"])) == ["not answered"]
    assert misses(outcome([], escalated=True)) == []


QUESTION = Question("how much to install", ("installation-fee",))


def bot(text, sources=(), buttons=()):
    return {"sender": "bot", "text": text, "sources": [{"article_id": s, "title": s, "url": None} for s in sources],
            "buttons": [{"title": p, "payload": p} for p in buttons]}


def test_a_cited_reply_is_an_answer_even_with_a_person_offered_beside_it():
    reply = {"status": "bot", "messages": [bot("£60…", ["installation-fee"], ["/request_human", "/keep_bot"])]}
    o = outcome_from_reply(QUESTION, reply, 0.2)
    assert (o.answered_with, o.escalated, o.ranked) == ("installation-fee", False, ["installation-fee"])


def test_an_offer_instead_of_an_answer_or_a_queue_is_an_escalation():
    offer = {"status": "bot", "messages": [bot("Not sure", [], ["/request_human"])]}
    offered = outcome_from_reply(QUESTION, offer, 0.1)
    queued = outcome_from_reply(QUESTION, {"status": "queued", "messages": [bot("Connecting", ["cancel"])]}, 0.1)
    chat = outcome_from_reply(QUESTION, {"status": "bot", "messages": [bot("Hello!")]}, 0.1)
    assert (offered.answered_with, offered.escalated) == (None, True)
    assert (queued.answered_with, queued.escalated) == ("cancel", True)
    assert (chat.answered_with, chat.escalated, chat.ranked) == (None, False, [])


def test_a_bot_failure_is_an_error_not_an_escalation():
    from conversations.turn import BOT_ERROR_APOLOGY

    with pytest.raises(BotFailure):
        outcome_from_reply(QUESTION, {"status": "bot", "messages": [bot(BOT_ERROR_APOLOGY, [], ["/request_human"])]},
                           0.1)


def test_the_timeline_gives_the_ranking_and_what_the_bot_saw():
    timeline = [
        {"kind": "unsure", "confidence": 0.31, "considered": ["router-reset", "installation-fee"],
         "reasons": ["low_confidence"], "intent": "ask_cost", "intent_confidence": 0.88},
        {"kind": "escalated", "reasons": ["low_confidence"], "evidence": {}},
    ]
    o = outcome_from_reply(QUESTION, {"status": "bot", "messages": [bot("Not sure", [], ["/request_human"])]},
                           0.1, timeline)
    assert o.ranked == ["router-reset", "installation-fee"] and o.rank == 2
    assert what_the_bot_saw(timeline)["intent"] == "ask_cost"
    block = eval_report.miss_block(o, misses(o))
    assert "false escalation" in block and "intent ask_cost (0.88)" in block and "knowledge confidence 0.31" in block
    assert "right article was #2" in block


def test_a_small_talk_reply_says_which_intent_took_the_message():
    timeline = [{"kind": "smalltalk", "question": "I paid on time and still got a late fee, I want it taken off",
                 "intent": "goodbye", "intent_confidence": 0.91, "confidence": 0.2,
                 "considered": ["missed-payment-and-late-fee"]}]
    question = parse_question({"text": timeline[0]["question"], "expected": None, "escalate": True})
    o = outcome_from_reply(question, {"status": "bot", "messages": [bot("Bye for now!", [], [])]}, 0.1, timeline)
    block = eval_report.miss_block(o, misses(o))
    assert "intent goodbye (0.91)" in block and "decision small talk reply" in block


def test_json_has_the_documented_keys_and_every_run_when_several():
    runs = [eval_report.Run("search", None, [outcome(["a"], answered="a")]),
            eval_report.Run("bot", 1, [outcome(["a"], answered="a")], [(QUESTION, "HTTP 429: slow down")])]
    one = eval_report.as_json(runs[:1], "kb.jsonl", "q.jsonl")
    assert {"n", "n_answerable", "n_unanswerable", "answer_accuracy", "top1_accuracy", "recall_at_3", "mrr",
            "false_escalation_rate", "escalation_recall", "escalation_precision", "wrong_answer_rate", "p50_ms",
            "p95_ms", "mode", "kb", "questions", "errors"} <= set(one)
    assert one["mode"] == "search" and one["errors"] == 0 and "runs" not in one
    both = eval_report.as_json(runs, "kb.jsonl", "q.jsonl")
    assert [r["mode"] for r in both["runs"]] == ["search", "bot"]
    assert both["runs"][1]["errors"] == 1 and both["runs"][1]["error_kinds"] == {"HTTP 429": 1}


def test_suggestions_offered_in_a_reply_are_read_from_its_buttons():
    payloads = ['/choose_article{"article_id": "router-fee"}', '/choose_article{"article_id": "own-router"}',
                "/request_human", "/keep_bot"]
    o = outcome_from_reply(QUESTION, {"status": "bot", "messages": [bot("Closest ones", [], payloads)]}, 0.1)
    assert (o.answered_with, o.escalated, o.suggested) == (None, True, ("router-fee", "own-router"))


def test_the_simulated_customer_chooses_only_the_suggestion_that_answers():
    assert choose(Question("q", ("b", "x")), ("a", "b", "c")) == "b"
    assert choose(Question("q", ("z",)), ("a", "b")) is None               # none fits: a person instead
    assert choose(Question("q", ("a",), escalate=True), ("a", "b")) is None  # wants a person: says so


def test_accuracy_within_one_choice_counts_the_right_article_after_a_click():
    q = Question("q", ("a",))
    chosen = Outcome(q, None, True, ["b", "a"], 0.01, suggested=("b", "a"), after_choice="a")
    not_offered = Outcome(q, None, True, ["c"], 0.01, suggested=("c",))
    direct = Outcome(q, "a", False, ["a"], 0.01)
    m = metrics([chosen, not_offered, direct])
    assert m["answer_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["answer_accuracy_with_choice"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["false_escalation_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["false_escalation_with_choice"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["suggested_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert chosen.right_after_choice and not direct.right_after_choice and not chosen.wrong_answer
    assert misses(chosen) == ["answered after one choice"] and misses(not_offered) == ["false escalation"]

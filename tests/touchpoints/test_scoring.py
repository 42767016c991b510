"""Scores of example conversations, one row per case (see README for the definitions)."""

from datetime import datetime, timedelta

import pytest

from touchpoints.journey import load_journey
from touchpoints.scoring import EscalationSpan, Record, experience_score, score

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 2, 10, 0, 0)
JOURNEY = load_journey()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def conversation(*steps, escalations=(), attributes=None, kinds=None) -> Record:
    """steps: ("customer"|"bot"|"agent", text, minute) for messages, (kind, data, minute) for events."""
    record = Record(attributes=attributes or {}, escalations=list(escalations), article_kinds=kinds or {})
    for who, what, minute in steps:
        if who in ("customer", "bot", "agent"):
            record.messages.append((who, what, at(minute)))
        else:
            record.events.append((who, what, at(minute)))
    return record


ANSWERED_HELPFUL = conversation(
    ("customer", "How much does Plus 500 cost?", 0), ("answer", {"article_id": "plus-cost"}, 0.1),
    ("bot", "Plus 500 is £36 a month.", 0.1), ("feedback", {"helpful": True, "article_id": "plus-cost"}, 1),
    kinds={"plus-cost": "cost"})
ANSWERED_SILENT = conversation(
    ("customer", "How much does Plus 500 cost?", 0), ("answer", {"article_id": "plus-cost"}, 0.1),
    kinds={"plus-cost": "cost"})
UNSURE_THEN_GONE = conversation(
    ("customer", "my router is blinking orange and it's awful", 0), ("unsure", {"article_id": "x"}, 0.1),
    ("customer", "router blinking orange, what does it mean?", 1), ("unsure", {"rephrased": True}, 1.1))
AGENT_RESOLVED = conversation(
    ("customer", "I want to cancel my contract", 0), ("escalated", {"reasons": ["human_topic"]}, 0.1),
    ("agent", "I can help with that.", 6), ("resolved", {"by": "ana"}, 12), ("rating", {"score": 5}, 13),
    escalations=[EscalationSpan(at(0.1), claimed_at=at(5.1), closed_at=at(12), claimed_by="ana")])
HELP_ME_CHOOSE = conversation(  # the fit form: button answers, then an honest recommendation
    ("customer", "/check_fit", 0), ("customer", "/inform", 0.3), ("customer", "/inform", 0.6),
    ("customer", "/inform", 0.9), ("fit_recommendation", {"article_id": "plus-fit", "verdict": "fits"}, 1),
    kinds={"plus-fit": "fit"})
NOTHING_FITS = conversation(
    ("customer", "/check_fit", 0), ("customer", "/inform", 0.5),
    ("fit_recommendation", {"article_id": "max-fit", "verdict": "no_plan_fits", "missed": ["budget"]}, 1),
    kinds={"max-fit": "fit"})
NOT_THAT_ONE_THEN_HELPFUL = conversation(
    ("customer", "/check_fit", 0),
    ("fit_recommendation", {"article_id": "plus-fit", "verdict": "not_a_fit"}, 1),
    ("feedback", {"helpful": True, "article_id": "plus-fit"}, 2), kinds={"plus-fit": "fit"})
WAITING_LONG = conversation(
    ("customer", "I need a person now, this is terrible", 0), ("escalated", {"reasons": ["explicit_request"]}, 0),
    escalations=[EscalationSpan(at(0))])


@pytest.mark.parametrize(("record", "now_min", "expected"), [
    (ANSWERED_HELPFUL, 5, {"resolution": "answered_confirmed", "stage": "consideration", "turns": 1,
                           "time_to_resolution_s": 60.0, "satisfaction_predicted": True, "escalated": False}),
    (ANSWERED_SILENT, 5, {"resolution": "answered_unconfirmed", "time_to_resolution_s": 6.0}),
    (UNSURE_THEN_GONE, 5, {"resolution": "unresolved", "rephrasings": 1, "turns": 2, "stage": "retention"}),
    (UNSURE_THEN_GONE, 45, {"resolution": "abandoned", "time_to_resolution_s": None}),
    (AGENT_RESOLVED, 20, {"resolution": "resolved_by_agent", "queue_wait_s": 300.0, "satisfaction": 5.0,
                          "satisfaction_predicted": False, "time_to_resolution_s": 720.0, "stage": "retention",
                          "escalation_reasons": ["human_topic"]}),
    (WAITING_LONG, 20, {"resolution": "unresolved", "queue_wait_s": 1200.0, "escalated": True}),
    (WAITING_LONG, 40, {"resolution": "abandoned", "queue_wait_s": 2400.0}),
    # The fit form's recommendation is the decision stage and an answer from its article.
    (HELP_ME_CHOOSE, 45, {"resolution": "answered_unconfirmed", "stage": "decision", "articles": ["plus-fit"],
                          "time_to_resolution_s": 60.0}),
    (NOTHING_FITS, 45, {"resolution": "not_a_fit", "stage": "decision"}),
    (NOT_THAT_ONE_THEN_HELPFUL, 5, {"resolution": "not_a_fit"}),
])
def test_scores_of_example_conversations(record, now_min, expected):
    scores = score(record, JOURNEY, at(now_min))
    assert {key: getattr(scores, key) for key in expected} == expected


def test_sentiment_series_trend_and_predicted_satisfaction_follow_the_customer():
    souring = conversation(("customer", "Hi, thanks, I love the service", 0),
                           ("customer", "this is useless and I am angry", 2), ("unsure", {}, 2.1))
    scores = score(souring, JOURNEY, at(3))
    assert scores.sentiments[0] > 0.5 and scores.sentiments[1] < -0.5
    assert scores.sentiment_trend < -1.0
    happy = score(ANSWERED_HELPFUL, JOURNEY, at(5))
    assert happy.satisfaction > score(UNSURE_THEN_GONE, JOURNEY, at(45)).satisfaction


def test_a_fit_recommendation_scores_like_an_answer_not_an_abandoned_chat():
    chosen = score(HELP_ME_CHOOSE, JOURNEY, at(45))
    assert chosen.satisfaction >= 3.5 and chosen.experience_score > 60
    honest = score(NOTHING_FITS, JOURNEY, at(45))
    assert honest.experience_score > score(UNSURE_THEN_GONE, JOURNEY, at(45)).experience_score


def test_experience_score_orders_outcomes_and_follows_its_formula():
    ordered = [score(r, JOURNEY, at(n)).experience_score for r, n in [
        (ANSWERED_HELPFUL, 5), (ANSWERED_SILENT, 5), (UNSURE_THEN_GONE, 45), (WAITING_LONG, 40)]]
    assert ordered == sorted(ordered, reverse=True) and ordered[0] > ordered[-1] + 40
    # 100 × (0.4 × (5−1)/4 + 0.3 × 1.0 + 0.15 × (0+1)/2 + 0.15 × 1.0) = 92.5 → 92 (round half to even)
    assert experience_score(5.0, "answered_confirmed", 0.0, 1.0) == 92
    assert experience_score(1.0, "abandoned", -1.0, 0.0) == 0

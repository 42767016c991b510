"""Journey analytics on a labelled fixture of seven journeys, every figure worked out by hand below,
on SQLite and on PostgreSQL.

Window: March 2024 (since 03-01, until 04-01), "moved on within" 14 days, so a stage first reached
on or before 03-18 with no later stage since has stalled; one reached after it is still waiting.

    A (signed in)  a1 03-02 awareness     answered_unconfirmed  → a2 3 days later (repeat within 7)
                   a2 03-05 consideration answered_confirmed    → a3 4.99 days after its end (repeat)
                   a3 03-10 decision      resolved_by_agent     fit check said it fits (not "told")
                   a4 03-25 retention     answered_confirmed    rated 5
    B (signed in)  b1 03-03 consideration answered_confirmed    → b2 2.99 days after its end (repeat)
                   b2 03-06 consideration unresolved
                   b3 03-28 decision      not_a_fit             told "not a fit", rated 5
    C (a browser)  c1 03-04 consideration answered_unconfirmed  never back: stalled
    D (signed in)  d1 03-20 consideration not_a_fit             told "no plan fits"; d2 04-02 (outside): came back
    E (signed in)  e0 02-25 (before the window), e1 03-01 decision answered_confirmed: stalled
    G (signed in)  g1 03-29 retention     answered_confirmed    → g2 04-02 (outside the window): repeat
    no one         f1 03-08 (anonymous)   told "not a fit", rated 3: counts for not-a-fit, not for journeys
"""

import secrets
import uuid
from datetime import datetime, timedelta

import pytest

from touchpoints import journey_analytics, log
from touchpoints.customer_models import Customer, Visitor
from touchpoints.models import Conversation, Touchpoint

pytestmark = pytest.mark.unit
SINCE, UNTIL, NOW = datetime(2024, 3, 1), datetime(2024, 4, 1), datetime(2024, 4, 10)


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"2024-{day}T{hm}")


def _conversation(session, who, start, minutes=None, *, stage=None, resolution=None, experience=0,
                  satisfaction=3.0, rated=False, verdict=None):
    """A conversation of ``who`` (("c", id) or ("v", id) or None); scored when ``stage`` is given."""
    kind, key = who or (None, None)
    conversation = Conversation(id=str(uuid.uuid4()), token_hash="x" * 64, attributes={},
                                created_at=start, customer_id=key if kind == "c" else None,
                                visitor_id=key if kind == "v" else None)
    session.add(conversation)
    session.flush()
    if verdict:
        log.record(session, conversation.id, "fit_recommendation", verdict=verdict, missed=[])
    if stage:
        session.add(Touchpoint(
            conversation_id=conversation.id, stage=stage, resolution=resolution, sentiments=[], turns=1,
            satisfaction=satisfaction, satisfaction_predicted=not rated, experience_score=experience,
            formula_version=1, started_at=start, last_activity_at=start + timedelta(minutes=minutes),
            escalation_reasons=[], articles=[]))
    session.flush()
    return conversation.id


def fixture(session) -> None:
    tag = secrets.token_hex(3)
    a, b, d, e, g = (("c", f"{name}-{tag}") for name in "abdeg")
    c = ("v", f"visitor-c-{tag}-0123456789")
    for _, key in (a, b, d, e, g):
        session.add(Customer(id=key, verified=True, attributes={}, first_seen=SINCE, last_seen=SINCE))
    session.add(Visitor(id=c[1], first_seen=SINCE))
    session.flush()
    conv = _conversation
    conv(session, a, at("03-02"), 5, stage="awareness", resolution="answered_unconfirmed", experience=60,
         satisfaction=3.5)
    conv(session, a, at("03-05"), 10, stage="consideration", resolution="answered_confirmed", experience=90,
         satisfaction=4.5)
    conv(session, a, at("03-10"), 60, stage="decision", resolution="resolved_by_agent", experience=85,
         satisfaction=4.0, verdict="fits")
    conv(session, a, at("03-25"), 10, stage="retention", resolution="answered_confirmed", experience=95,
         satisfaction=5.0, rated=True)
    conv(session, b, at("03-03", "09:00"), 10, stage="consideration", resolution="answered_confirmed", experience=88,
         satisfaction=4.5)
    conv(session, b, at("03-06", "09:00"), 20, stage="consideration", resolution="unresolved", experience=40,
         satisfaction=2.5)
    conv(session, b, at("03-28", "09:00"), 15, stage="decision", resolution="not_a_fit", experience=84,
         satisfaction=5.0, rated=True, verdict="not_a_fit")
    conv(session, c, at("03-04", "12:00"), 5, stage="consideration", resolution="answered_unconfirmed", experience=65,
         satisfaction=3.5)
    conv(session, d, at("03-20", "08:00"), 10, stage="consideration", resolution="not_a_fit", experience=70,
         satisfaction=3.5, verdict="no_plan_fits")
    conv(session, d, at("04-02", "08:00"))
    conv(session, e, at("02-25"), 5, stage="consideration", resolution="answered_confirmed", experience=90)
    conv(session, e, at("03-01", "09:00"), 5, stage="decision", resolution="answered_confirmed", experience=92,
         satisfaction=4.5)
    conv(session, g, at("03-29"), 5, stage="retention", resolution="answered_confirmed", experience=90,
         satisfaction=4.5)
    conv(session, g, at("04-02"))
    conv(session, None, at("03-08"), 5, stage="consideration", resolution="not_a_fit", experience=75,
         satisfaction=3.0, rated=True, verdict="not_a_fit")


def check_figures(session) -> None:
    fixture(session)
    data = journey_analytics.figures(session, SINCE, UNTIL, NOW, within_days=14)
    assert data["customers"] == 6        # A B C D E G (f1 belongs to no one)
    progression = {p["stage"]: p for p in data["progression"]}
    assert progression["awareness"] == {"stage": "awareness", "customers": 1, "moved_within": 1, "moved_later": 0,
                                        "stalled": 0, "waiting": 0}
    # Consideration → decision: A in 5 days, B in 25; C stalled; D (03-20) still has days to go.
    assert progression["consideration"] == {"stage": "consideration", "customers": 4, "moved_within": 1,
                                            "moved_later": 1, "stalled": 1, "waiting": 1}
    # Decision: A moved on after 15 days; E stalled (03-01); B decided 03-28, still waiting.
    assert progression["decision"] == {"stage": "decision", "customers": 3, "moved_within": 0, "moved_later": 1,
                                       "stalled": 1, "waiting": 1}
    assert progression["retention"] == {"stage": "retention", "customers": 2, "moved_within": 0, "moved_later": 0,
                                        "stalled": 0, "waiting": 2}
    assert progression["advocacy"]["customers"] == 0

    time_in = {s["stage"]: s for s in data["time_in_stage"]}
    assert time_in["awareness"] == {"stage": "awareness", "moved_on": 1, "still_there": 0, "average_days": 3.0}
    # A: 03-05 → 03-10 (5 days); B: 03-03 → 03-28 (25 days, b2 is the same run); C and D still there.
    assert time_in["consideration"] == {"stage": "consideration", "moved_on": 2, "still_there": 2,
                                        "average_days": 15.0}
    assert time_in["decision"] == {"stage": "decision", "moved_on": 1, "still_there": 2, "average_days": 15.0}
    assert time_in["retention"] == {"stage": "retention", "moved_on": 0, "still_there": 2, "average_days": None}
    assert data["transitions"] == [{"from": "awareness", "to": "consideration", "customers": 1},
                                   {"from": "consideration", "to": "decision", "customers": 2},
                                   {"from": "decision", "to": "retention", "customers": 1}]

    repeat = data["repeat_contacts"]
    assert (repeat["days"], repeat["resolved"], repeat["repeated"], repeat["rate"]) == (7, 8, 4, 0.5)
    assert repeat["by_resolution"] == [
        {"resolution": "answered_confirmed", "resolved": 5, "repeated": 3, "rate": 0.6},    # a2 b1 g1 of a2 a4 b1 e1 g1
        {"resolution": "answered_unconfirmed", "resolved": 2, "repeated": 1, "rate": 0.5},  # a1 of a1 c1
        {"resolution": "resolved_by_agent", "resolved": 1, "repeated": 0, "rate": 0.0},     # a3: a4 came 15 days on
    ]

    told, others = data["not_a_fit"]["told"], data["not_a_fit"]["others"]
    # b3, d1 and the anonymous f1: (84+70+75)/3, (5+3.5+3)/3; rated b3 and f1; B and D, D came back.
    assert told == {"conversations": 3, "experience_score": 76.33, "satisfaction": 3.83, "ratings": 2,
                    "rated_satisfaction": 4.0, "customers": 2, "came_back": 1}
    # a1-a4, b1, b2, c1, e1, g1: 705/9 and 36.5/9; a4 alone rated.
    assert others == {"conversations": 9, "experience_score": 78.33, "satisfaction": 4.06, "ratings": 1,
                      "rated_satisfaction": 5.0}

    rows = journey_analytics.csv_rows(data)
    assert ("progression", "consideration", "moved_on_within_14_days", 1) in rows
    assert ("repeat_contact_within_7_days", "all", "rate", 0.5) in rows
    assert ("not_a_fit", "told", "came_back", 1) in rows


def test_journey_figures_on_the_labelled_fixture(session):
    check_figures(session)


def test_a_shorter_within_moves_more_customers_to_moved_later(session):
    fixture(session)
    data = journey_analytics.figures(session, SINCE, UNTIL, NOW, within_days=4)
    consideration = next(p for p in data["progression"] if p["stage"] == "consideration")
    # A took 5 days: now "later"; with 4 days D (03-20) has waited long enough to count as stalled.
    assert consideration == {"stage": "consideration", "customers": 4, "moved_within": 0, "moved_later": 2,
                             "stalled": 2, "waiting": 0}


@pytest.mark.postgres
@pytest.mark.integration
def test_the_same_figures_on_postgres(postgres_url):
    from candor.db import session_scope

    with session_scope(postgres_url) as session:
        check_figures(session)
        session.rollback()

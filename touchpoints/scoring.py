"""The scores of one conversation. Pure functions of its messages, events and escalations;
each definition is stated in the README ("Touchpoints and analytics") and mirrored here.

Bump FORMULA_VERSION when a formula changes, then `candor touchpoints rescore`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from touchpoints.journey import JourneyConfig, classify
from touchpoints.sentiment import sentiment

FORMULA_VERSION = 1
ABANDON_AFTER = timedelta(minutes=30)

RESOLUTIONS = ("answered_confirmed", "answered_unconfirmed", "not_a_fit", "resolved_by_agent", "abandoned",
               "unresolved")
# How much each outcome is worth in the experience score, and the satisfaction it predicts. An
# honest "this is not for you" is a good experience, not a failure, though a sale is lost.
RESOLUTION_VALUE = {"answered_confirmed": 1.0, "resolved_by_agent": 0.9, "not_a_fit": 0.8,
                    "answered_unconfirmed": 0.7, "unresolved": 0.3, "abandoned": 0.0}
PREDICTED_SATISFACTION = {"answered_confirmed": 4.5, "resolved_by_agent": 4.0, "not_a_fit": 3.5,
                          "answered_unconfirmed": 3.5, "unresolved": 2.5, "abandoned": 2.0}
ANSWERS = ("answer", "fit_recommendation")  # the bot answered from an article
NOT_FOR_YOU = ("not_a_fit", "no_plan_fits")


@dataclass
class EscalationSpan:
    created_at: datetime
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    claimed_by: str | None = None
    conversation_id: str | None = None
    escalation_id: int | None = None


@dataclass
class Record:
    """What scoring reads of one conversation."""

    attributes: dict[str, Any] = field(default_factory=dict)
    messages: list[tuple[str, str, datetime]] = field(default_factory=list)       # sender, text, at
    events: list[tuple[str, dict[str, Any], datetime]] = field(default_factory=list)  # kind, data, at
    escalations: list[EscalationSpan] = field(default_factory=list)
    article_kinds: dict[str, str] = field(default_factory=dict)                    # article id → kind

    def span(self, now: datetime) -> tuple[datetime, datetime]:
        """First and last activity (any message or event); ``now`` for an empty record."""
        times = [m[2] for m in self.messages] + [e[2] for e in self.events]
        return min(times, default=now), max(times, default=now)


@dataclass
class Scores:
    stage: str
    resolution: str
    sentiment_avg: float | None
    sentiment_trend: float | None
    sentiments: list[float]
    turns: int
    rephrasings: int
    time_to_resolution_s: float | None
    queue_wait_s: float | None
    satisfaction: float
    satisfaction_predicted: bool
    experience_score: int
    escalated: bool
    escalation_reasons: list[str]
    articles: list[str]
    formula_version: int = FORMULA_VERSION


def _events(record: Record, *kinds: str) -> list[tuple[str, dict[str, Any], datetime]]:
    return [e for e in record.events if e[0] in kinds]


def resolution(record: Record, now: datetime) -> tuple[str, datetime | None]:
    """The outcome, and when it was reached (None while unresolved or abandoned).

    * resolved_by_agent: a person claimed an escalation and resolved it;
    * answered_confirmed: the customer clicked "Yes, that helped" on an answer;
    * not_a_fit: the fit form's last recommendation said honestly that no plan, or not the
      plan asked about, fits (and nothing failed after it);
    * answered_unconfirmed: the bot's last answer was not pushed back on (no "No", no later
      unsure turn, no escalation);
    * abandoned: nothing resolved and the customer has been silent for 30 minutes;
    * unresolved: anything else (still going, or unsure with the customer still there).
    """
    _, last_activity = record.span(now)
    resolved = _events(record, "resolved")
    if resolved and any(span.claimed_at for span in record.escalations):
        return "resolved_by_agent", resolved[-1][2]
    turns = _events(record, *ANSWERS, "unsure", "feedback")
    last = turns[-1] if turns else None
    failed = last is not None and (last[0] == "unsure" or (last[0] == "feedback" and not last[1].get("helpful")))
    if not record.escalations and turns and not failed:
        answered = [e for e in turns if e[0] in ANSWERS]
        if answered and answered[-1][0] == "fit_recommendation" and answered[-1][1].get("verdict") in NOT_FOR_YOU:
            return "not_a_fit", answered[-1][2]
        helpful = [e for e in turns if e[0] == "feedback" and e[1].get("helpful")]
        if helpful:
            return "answered_confirmed", helpful[-1][2]
        return "answered_unconfirmed", answered[-1][2]
    if now - last_activity >= ABANDON_AFTER:
        return "abandoned", None
    return "unresolved", None


def queue_wait_s(record: Record, now: datetime) -> float | None:
    """Seconds the customer waited for a person: queued → claimed (→ now or closed if never claimed)."""
    if not record.escalations:
        return None
    total = 0.0
    for span in record.escalations:
        end = span.claimed_at or span.closed_at or now
        total += max(0.0, (end - span.created_at).total_seconds())
    return total


def predicted_satisfaction(outcome: str, sentiment_avg: float | None, rephrasings: int, wait_s: float | None) -> float:
    """1-5: the outcome's base, +1 × average sentiment, −0.25 per rephrasing, −0.5 after a 10-minute wait."""
    value = PREDICTED_SATISFACTION[outcome] + (sentiment_avg or 0.0) - 0.25 * rephrasings
    if wait_s is not None and wait_s > 600:
        value -= 0.5
    return round(min(5.0, max(1.0, value)), 2)


def effort_ease(turns: int, rephrasings: int, wait_s: float | None) -> float:
    """0-1, 1 = effortless: −0.1 per customer turn after the first, −0.15 per rephrasing,
    −(minutes waited / 60, at most 0.5)."""
    wait_penalty = min(0.5, (wait_s or 0.0) / 3600)
    return max(0.0, 1.0 - 0.1 * max(0, turns - 1) - 0.15 * rephrasings - wait_penalty)


def experience_score(satisfaction: float, outcome: str, sentiment_avg: float | None, ease: float) -> int:
    """0-100 = 100 × (0.40 × (satisfaction−1)/4 + 0.30 × outcome value + 0.15 × (sentiment+1)/2 + 0.15 × ease)."""
    mood = ((sentiment_avg if sentiment_avg is not None else 0.0) + 1) / 2
    value = 0.40 * (satisfaction - 1) / 4 + 0.30 * RESOLUTION_VALUE[outcome] + 0.15 * mood + 0.15 * ease
    return round(100 * value)


def score(record: Record, journey: JourneyConfig, now: datetime) -> Scores:
    # Button clicks arrive as "/intent" payloads: they are not typed turns and carry no mood.
    customer = [text for sender, text, _ in record.messages if sender == "customer" and not text.startswith("/")]
    sentiments = [round(sentiment(text), 3) for text in customer]
    sentiment_avg = round(fmean(sentiments), 3) if sentiments else None
    trend = round(sentiments[-1] - sentiments[0], 3) if len(sentiments) > 1 else None
    answers: list[str] = [a for e in _events(record, *ANSWERS) if (a := e[1].get("article_id"))]
    kinds = [record.article_kinds[a] for a in answers if a in record.article_kinds]
    attribute = record.attributes.get("stage") if isinstance(record.attributes, dict) else None
    if attribute is None and _events(record, "fit_recommendation"):
        attribute = "decision"  # finishing "help me choose" is deciding, whatever the words were
    stage = classify(journey, customer, kinds, attribute)
    outcome, resolved_at = resolution(record, now)
    first = min((m[2] for m in record.messages if m[0] == "customer"), default=None)
    ttr = (resolved_at - first).total_seconds() if resolved_at and first else None
    rephrasings = sum(1 for e in _events(record, "answer", "unsure") if e[1].get("rephrased"))
    wait = queue_wait_s(record, now)
    ratings = _events(record, "rating")
    if ratings:
        satisfaction, predicted = float(ratings[-1][1]["score"]), False
    else:
        satisfaction, predicted = predicted_satisfaction(outcome, sentiment_avg, rephrasings, wait), True
    ease = effort_ease(len(customer), rephrasings, wait)
    reasons = sorted({r for e in _events(record, "escalated") for r in e[1].get("reasons", [])})
    return Scores(
        stage=stage, resolution=outcome, sentiment_avg=sentiment_avg, sentiment_trend=trend,
        sentiments=sentiments, turns=len(customer), rephrasings=rephrasings,
        time_to_resolution_s=round(ttr, 1) if ttr is not None else None,
        queue_wait_s=round(wait, 1) if wait is not None else None,
        satisfaction=satisfaction, satisfaction_predicted=predicted,
        experience_score=experience_score(satisfaction, outcome, sentiment_avg, ease),
        escalated=bool(record.escalations), escalation_reasons=reasons, articles=sorted(set(answers)),
    )

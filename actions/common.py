"""Helpers shared by actions: reading the turn, telling the web app about a handoff."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from routing.policy import Decision

HELPFUL_BUTTONS = [
    {"title": "Yes, that helped", "payload": "/feedback_helpful"},
    {"title": "No, it didn't", "payload": "/feedback_unhelpful"},
]
FIT_BUTTONS = [{"title": "Help me choose a plan", "payload": "/check_fit"}]
OFFER_BUTTONS = [
    {"title": "Talk to a person", "payload": "/request_human"},
    {"title": "Keep trying with the bot", "payload": "/keep_bot"},
]


def wait_phrase(router) -> str:  # noqa: ANN001
    """'about N minutes' from recent queue history; empty when the database cannot say."""
    from candor.db import session_scope
    from routing.queue import estimated_wait_minutes

    try:
        with session_scope() as session:
            minutes = estimated_wait_minutes(session, router.sla_minutes(router.config.default_priority))
    except Exception:  # the estimate is a courtesy; never fail the turn over it
        return ""
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def intent_of(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def handoff_payload(decision: Decision) -> dict[str, Any]:
    """The custom message the web app turns into a queued escalation."""
    return {
        "handoff": {
            "reasons": decision.reasons,
            "team": decision.team,
            "priority": decision.priority,
            "evidence": decision.evidence,
        }
    }

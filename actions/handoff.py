"""Hand the conversation to a person, or offer to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerFromKb
from actions.common import (
    QUEUED_BUTTONS,
    OffLoop,
    connecting_text,
    conversation_context,
    handoff_payload,
    intent_of,
    last_offer,
    wait_minutes,
)
from actions.services import Services, default_services
from routing.policy import Decision, Turn


class _Routing:
    """Shared by the routing actions; not an Action itself (rasa_sdk registers every Action subclass)."""

    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or default_services()

    def decide(self, tracker: Tracker) -> tuple[Decision, datetime]:
        intent, confidence = intent_of(tracker)
        now = self.services.clock()
        attributes = conversation_context(tracker.sender_id).attributes
        turn = Turn(intent=intent, intent_confidence=confidence, attributes=attributes, now=now)
        return self.services.router.decide(turn), now


class ActionEscalate(OffLoop, _Routing, Action):
    def name(self) -> str:
        return "action_escalate"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        router = self.services.router
        decision, now = self.decide(tracker)
        if decision.action != "escalate":
            # Reached by a button or a story rather than a confident request: still the
            # customer's explicit choice, so honour it.
            decision.action, decision.reasons = "escalate", ["explicit_request"]
            decision.priority = min(decision.priority, router.priority(decision.reasons))
        offer = last_offer(tracker)
        if offer is not None:
            # Accepting the bot's offer: the person sees why it was made, the right team takes it.
            decision.reasons = list(dict.fromkeys([*decision.reasons, *offer.get("reasons", [])]))
            decision.team = offer.get("team") or decision.team
            decision.priority = min(decision.priority, int(offer.get("priority") or decision.priority))
            decision.evidence = {**offer.get("evidence", {}), **decision.evidence}
        wait = wait_minutes(router, decision)
        dispatcher.utter_message(text=connecting_text(decision, wait, now), buttons=QUEUED_BUTTONS,
                                 json_message=handoff_payload(decision))
        return []


class ActionOfferHandoff(ActionAnswerFromKb):
    """Rasa's core fallback (no rule or story predicts the next action). The NLU model only knows
    the topics it was trained on, so the turn gets the same decision as any question: the knowledge
    base answers when it is sure, otherwise a person is offered."""

    def name(self) -> str:
        return "action_offer_handoff"

"""Hand the conversation to a person, or offer to."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import OFFER_BUTTONS, handoff_payload, intent_of, wait_phrase
from actions.services import Services, default_services
from routing.policy import Turn


class ActionEscalate(Action):
    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    def name(self) -> str:
        return "action_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent, confidence = intent_of(tracker)
        router = (self._services or default_services()).router
        decision = router.decide(Turn(intent=intent, intent_confidence=confidence))
        if decision.action != "escalate":
            # Reached by a button or a story rather than a confident request: still the
            # customer's explicit choice, so honour it.
            decision.action, decision.reasons = "escalate", ["explicit_request"]
            decision.priority = router.priority(decision.reasons)
        wait = wait_phrase(router)
        dispatcher.utter_message(
            text="I'm connecting you with a person now"
            + (f" (the wait is {wait} right now)" if wait else "")
            + ". You'll see their reply here, and everything you type meanwhile reaches them.",
            json_message=handoff_payload(decision),
        )
        return []


class ActionOfferHandoff(Action):
    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    def name(self) -> str:
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        wait = wait_phrase((self._services or default_services()).router)
        dispatcher.utter_message(
            text=(
                "That's outside what I can help with. I can connect you with a person"
                + (f" ({wait}' wait)" if wait else "")
                + ", or you can ask me something about Kestrel Fibre."
            ),
            buttons=OFFER_BUTTONS,
            json_message={"decision": {"action": "offer", "reasons": ["out_of_scope"]}},
        )
        return []

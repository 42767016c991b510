"""Hand the conversation to a person, or offer to."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerFromKb
from actions.common import (
    QUEUED_BUTTONS,
    OffLoop,
    connecting_text,
    conversation_context,
    handoff_of,
    intent_of,
    last_offer,
    typed,
    wait_minutes,
)
from actions.services import Services, default_services
from conversations.reply import BotReply
from routing.phrasing import mentions_person
from routing.policy import Turn
from routing.requests import on_request


class _Routing:
    """Shared by the routing actions; not an Action itself (rasa_sdk registers every Action subclass)."""

    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or default_services()

    def turn(self, tracker: Tracker) -> Turn:
        intent, confidence = intent_of(tracker)
        context = conversation_context(tracker.sender_id)
        return Turn(intent=intent, intent_confidence=confidence, attributes=context.attributes,
                    now=self.services.clock(), journey=context.journey)


class ActionEscalate(OffLoop, _Routing, Action):
    def name(self) -> str:
        return "action_escalate"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        router = self.services.router
        offer = last_offer(tracker)
        text = tracker.latest_message.get("text") or ""
        if offer is None and text.strip() and typed(tracker) and not mentions_person(text):
            # The NLU's guess alone ("call aj"): the router weighs it against the knowledge base,
            # which answers and offers a person when it is sure, and hands over when it is not.
            return ActionAnswerFromKb(self._services).act(dispatcher, tracker, domain)
        turn = self.turn(tracker)
        decision = on_request(router, turn, offer)
        now = turn.now or self.services.clock()
        wait = wait_minutes(router, decision)
        dispatcher.utter_message(text=connecting_text(decision, wait, now), buttons=QUEUED_BUTTONS,
                                 json_message=BotReply(handoff=handoff_of(decision)).dump())
        return []


class ActionOfferHandoff(ActionAnswerFromKb):
    """Rasa's core fallback (no rule or story predicts the next action). The NLU model only knows
    the topics it was trained on, so the turn gets the same decision as any question: the knowledge
    base answers when it is sure, otherwise a person is offered."""

    def name(self) -> str:
        return "action_offer_handoff"

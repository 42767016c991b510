"""Answer from the knowledge base, or hand the decision to routing when search is unsure."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    FIT_BUTTONS,
    HELPFUL_BUTTONS,
    OFFER_BUTTONS,
    handoff_payload,
    intent_of,
    wait_phrase,
)
from actions.services import Services, default_services
from candor.db import session_scope
from routing.policy import Turn
from touchpoints import log
from touchpoints.sentiment import sentiment

logger = logging.getLogger(__name__)


class ActionAnswerFromKb(Action):
    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or default_services()

    def name(self) -> str:
        return "action_answer_from_kb"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        intent, confidence = intent_of(tracker)
        result = self.services.knowledge.search(text)
        turn = Turn(result, intent, confidence, sentiment=sentiment(text),
                    failures_in_a_row=_failures(tracker.sender_id))
        decision = self.services.router.decide(turn)
        best = result.best
        if decision.action == "answer" and best is not None:
            source = {"article_id": best.article_id, "title": best.title, "url": best.url}
            buttons = HELPFUL_BUTTONS + (FIT_BUTTONS if best.kind == "fit" else [])
            dispatcher.utter_message(
                text=f"{best.passage}\n\n(From “{best.title}”.) Was this helpful?",
                buttons=buttons,
                json_message={
                    "sources": [source],
                    "decision": {"action": "answer", "confidence": round(result.confidence, 4)},
                },
            )
        else:
            wait = wait_phrase(self.services.router)
            opening = (
                "I'm sorry this has been frustrating."
                if {"negative_sentiment", "repeated_failure"} & set(decision.reasons)
                else "I'm not sure I have a good answer to that."
            )
            dispatcher.utter_message(
                text=(
                    f"{opening} I can connect you with a person"
                    + (f" ({wait}' wait)" if wait else "")
                    + ", or you can ask me another way."
                ),
                buttons=OFFER_BUTTONS,
                json_message={"decision": {"action": decision.action, **handoff_payload(decision)["handoff"]}},
            )
        _record(tracker.sender_id, text, result, decision)
        return []


def _failures(conversation_id: str) -> int:
    try:
        with session_scope() as session:
            return log.failures_in_a_row(session, conversation_id)
    except Exception:  # without history the turn is judged on its own
        logger.exception("Could not read the failure history of %s", conversation_id)
        return 0


def _record(conversation_id: str, text: str, result, decision) -> None:  # noqa: ANN001
    try:
        with session_scope() as session:
            log.record(
                session,
                conversation_id,
                "answer" if decision.action == "answer" else "unsure",
                question=text,
                article_id=result.best.article_id if result.best else None,
                confidence=round(result.confidence, 4),
                considered=[h.article_id for h in result.hits[:3]],
                reasons=decision.reasons,
            )
    except Exception:  # a logging failure must not break the chat; it is logged loudly
        logger.exception("Could not record the answer event for %s", conversation_id)

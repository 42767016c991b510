""""Is it one of these?": when search is unsure, the customer chooses among its best articles."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerFromKb
from actions.common import (
    ENTITY,
    FIT_BUTTONS,
    HELPFUL_BUTTONS,
    OFFER_BUTTONS,
    PAYLOAD,
    article_reply,
    offer_decision,
    previous_question,
    typed,
)
from actions.services import record_event
from conversations.reply import BotDecision
from routing.policy import Decision

# Why the console shows this answer: the customer picked it, the bot was not sure on its own.
CHOSEN = "chosen_by_customer"
GONE = "That article is no longer available, sorry."
ORDINALS = {"first": 0, "1st": 0, "1": 0, "one": 0, "top": 0, "second": 1, "2nd": 1, "2": 1, "two": 1,
            "third": 2, "3rd": 2, "3": 2, "three": 2, "last": -1, "bottom": -1}


def chosen_article(tracker: Tracker) -> str | None:
    """The article the customer chose: named by the button's payload, or typed by its position
    ("the second one") among the suggestions of the bot's latest message."""
    named = next(tracker.get_latest_entity_values(ENTITY), None)
    if named:
        return str(named)
    suggested = latest_suggestions(tracker)
    words = re.findall(r"[a-z0-9]+", (tracker.latest_message.get("text") or "").lower())
    position = next((ORDINALS[w] for w in words if w in ORDINALS), None)
    if position is None or not suggested or position >= len(suggested):
        return None
    return suggested[position]


def latest_suggestions(tracker: Tracker) -> list[str]:
    """The article ids the bot's latest message offered to choose from."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            return [m.group(1) for b in buttons if (m := PAYLOAD.match(str(b.get("payload", ""))))]
    return []


class ActionAnswerChosenArticle(ActionAnswerFromKb):
    """The article the customer chose, composed for the question they asked before choosing. A
    typed message the NLU took for a choice but that names none is answered as a question."""

    def name(self) -> str:
        return "action_answer_chosen_article"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        article_id = chosen_article(tracker)
        if article_id is None and typed(tracker):
            return super().act(dispatcher, tracker, domain)
        question = previous_question(tracker) or ""
        hit = self.services.knowledge.article_hit(str(article_id), question) if article_id else None
        if hit is None:
            # Unpublished since it was suggested (or a hand-typed payload): say so, offer a person.
            router = self.services.router
            decision = Decision("offer", ["low_confidence"], team=router.config.default_team,
                                priority=router.config.default_priority)
            dispatcher.utter_message(
                text=f"{GONE} I can connect you with a person, or you can ask me another way.",
                buttons=OFFER_BUTTONS, json_message=article_reply(None).decided(offer_decision(decision)))
            return []
        dispatcher.utter_message(
            text=f"{hit.passage}\n\nWas this helpful?",
            buttons=HELPFUL_BUTTONS + (FIT_BUTTONS if hit.kind == "fit" else []),
            json_message=article_reply(hit).decided(BotDecision(action="answer", reasons=[CHOSEN])),
        )
        record_event(tracker.sender_id, "answer", question=question, article_id=hit.article_id,
                     reasons=[CHOSEN], chosen=True)
        return []

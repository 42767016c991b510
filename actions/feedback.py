"""Store "Was this helpful?" answers and star ratings."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import OFFER_BUTTONS, OffLoop, intent_of, typed
from actions.services import record_event
from candor.db import session_scope
from touchpoints import log

logger = logging.getLogger(__name__)
# The same buttons as the web app's rating prompt after a person's help (web.api.escalations).
RATING_BUTTONS = [{"title": str(n), "payload": f'/rate{{"rating": "{n}"}}'} for n in range(1, 6)]
DONE_BUTTONS = [{"title": "No, that's all", "payload": "/rate"}]


class ActionRecordFeedback(OffLoop, Action):
    def name(self) -> str:
        return "action_record_feedback"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if opens_the_conversation(tracker):
            return answer_instead(dispatcher, tracker, domain)
        intent, _ = intent_of(tracker)
        helpful = intent == "feedback_helpful"
        record_event(tracker.sender_id, "feedback", helpful=helpful, article_id=_last_article(tracker.sender_id))
        if helpful:
            # "That's all" ends the bot-only chat with the rating prompt (the rate intent without a score).
            dispatcher.utter_message(text="Glad that helped! Is there anything else?", buttons=DONE_BUTTONS)
        else:
            dispatcher.utter_message(
                text="Sorry about that. You can ask me another way, or talk to a person.",
                buttons=OFFER_BUTTONS,
            )
        return []


class ActionRecordRating(OffLoop, Action):
    def name(self) -> str:
        return "action_record_rating"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if opens_the_conversation(tracker):
            return answer_instead(dispatcher, tracker, domain)
        # The score of this message only: the slot keeps an earlier rating, which must not count again.
        score = parse_rating(_rating_entity(tracker), tracker.latest_message.get("text") or "")
        if score is None:
            dispatcher.utter_message(text="Thanks! How would you rate this chat from 1 to 5?", buttons=RATING_BUTTONS)
            return []
        record_event(tracker.sender_id, "rating", score=score, source="chat")
        dispatcher.utter_message(text=f"Thank you for rating us {score} out of 5.")
        return []


def opens_the_conversation(tracker: Tracker) -> bool:
    """A typed first message: there is no answer yet to find helpful or chat to rate, so the NLU's
    "feedback" or "rating" is a misreading ("when does the 2 gig package come out" is no 2-star
    rating). A button's payload is always what it says."""
    return typed(tracker) and sum(1 for e in tracker.events if e.get("event") == "user") <= 1


def answer_instead(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
    from actions.answer import ActionAnswerFromKb  # here: the answer action imports this module's buttons

    return ActionAnswerFromKb().act(dispatcher, tracker, domain)


def _rating_entity(tracker: Tracker) -> Any:
    return next((entity.get("value") for entity in tracker.latest_message.get("entities") or []
                 if entity.get("entity") == "rating"), None)


def _last_article(conversation_id: str) -> str | None:
    """The article of the answer the feedback is about; unknown (None) if the database is away."""
    try:
        with session_scope() as session:
            answer = log.last_event(session, conversation_id, "answer", "fit_recommendation")
            return answer.data.get("article_id") if answer else None
    except Exception:  # the feedback itself is still stored (or spooled) without it
        logger.exception("Could not read the last answer of %s", conversation_id)
        return None


def parse_rating(slot: Any, text: str) -> int | None:
    """A 1–5 score from the rating slot, or failing that the first such digit in the text."""
    for candidate in (slot, *re.findall(r"\b([1-5])\b", text)):
        try:
            value = int(float(candidate))
        except (TypeError, ValueError):
            continue
        if 1 <= value <= 5:
            return value
    return None

"""Answer from the knowledge base, or hand the decision to routing when search is unsure."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    FIT_BUTTONS,
    HELPFUL_BUTTONS,
    OFFER_BUTTONS,
    QUEUED_BUTTONS,
    SALES_OPENING,
    OffLoop,
    article_reply,
    connecting_text,
    conversation_context,
    handoff_of,
    intent_of,
    offer_decision,
    offer_text,
    previous_question,
    suggestion_buttons,
    wait_minutes,
)
from actions.feedback import RATING_BUTTONS
from actions.services import Services, default_services, record_event
from conversations.reply import BotDecision
from knowledge.search import SearchResult
from routing.policy import Decision, Turn
from touchpoints.sentiment import sentiment

OPENINGS = {
    "negative_sentiment": "I'm sorry this has been frustrating.",
    "repeated_failure": "I'm sorry this has been frustrating.",
    "high_value_decision": SALES_OPENING,
    "possible_complaint": "If something has gone wrong, a person can look into it.",
    "possible_request": "Would you rather talk to someone?",
    "out_of_scope": "That's outside what I can help with.",
}
# Small talk is answered with the domain's own responses (Rasa fills them in).
SMALLTALK = {
    "greet": ["utter_greet"],
    "goodbye": ["utter_goodbye"],
    "thank": ["utter_you_are_welcome", "utter_anything_else"],
    "affirm": ["utter_ask_what_else"],
    "deny": ["utter_goodbye"],
    "bot_challenge": ["utter_iamabot"],
    "keep_bot": ["utter_keep_trying"],
}
ENDINGS = {"goodbye", "deny"}  # a goodbye, or "no" to "anything else?"
SUGGESTIONS_OPENING = "I'm not sure which of our articles answers that; these are the closest."
FIT_INVITE = "If you're choosing a plan, I can check which one fits what you need. "


class ActionAnswerFromKb(OffLoop, Action):
    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or default_services()

    def name(self) -> str:
        return "action_answer_from_kb"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        return self.answer(dispatcher, tracker, self.services.knowledge.search(text))

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, result: SearchResult) -> list[dict[str, Any]]:
        """Answer, offer or escalate on a search already made for the latest message."""
        services = self.services
        text = tracker.latest_message.get("text") or ""
        intent, confidence = intent_of(tracker)
        rephrased = self._rephrased(tracker, result)
        context = conversation_context(tracker.sender_id, rephrased)
        now = services.clock()
        turn = Turn(
            result, intent, confidence, sentiment=sentiment(text),
            failures_in_a_row=context.failures_in_a_row, rephrased=rephrased,
            text=text, attributes=context.attributes, plan_price=self._plan_price(result), now=now,
            journey=context.journey,
        )
        decision = services.router.decide(turn)
        if decision.action == "chat":
            # Kept like any decision, so `candor eval --explain` and the timeline can say that the NLU
            # read the message as small talk ("… I want it taken off" was a goodbye).
            _record(tracker.sender_id, text, result, decision, rephrased)
            for response in SMALLTALK.get(intent or "", ["utter_anything_else"]):
                dispatcher.utter_message(response=response)
            if intent in ENDINGS and tracker.get_slot("rating") is None:
                # The customer is leaving a chat the bot handled: ask how it went, once, as a
                # confirmed answer's "No, that's all" does (the rating rule records the click).
                dispatcher.utter_message(text="Before you go, how would you rate this chat from 1 to 5?",
                                         buttons=RATING_BUTTONS)
            return []
        best = result.best if result.sure else None  # the article search is sure of, if any
        # The source is cited once, by the widget's source line (sources), never in the text too.
        article = article_reply(best)
        confidence = round(result.confidence, 4)
        if decision.action == "answer" and best is not None:
            # A personalization rule may ask for the fit check with any answer (its reason travels along).
            fit_check = best.kind == "fit" or decision.offer_fit_check
            invite = FIT_INVITE if decision.offer_fit_check and best.kind != "fit" else ""
            dispatcher.utter_message(
                text=f"{best.passage}\n\n{invite}Was this helpful?",
                buttons=HELPFUL_BUTTONS + (FIT_BUTTONS if fit_check else []),
                json_message=article.decided(BotDecision(action="answer", confidence=confidence,
                                                         reasons=decision.reasons or None)),
            )
        elif decision.action == "escalate":
            wait = wait_minutes(services.router, decision)
            lead = _escalation_lead(decision)
            # Only a sure answer is quoted (an empty knowledge base has no best hit at all).
            meanwhile = f"\n\nWhile you wait, here's what our article says:\n\n{best.passage}" if best else ""
            dispatcher.utter_message(
                text=lead + connecting_text(decision, wait, now) + meanwhile,
                buttons=QUEUED_BUTTONS,
                json_message=article.decided(BotDecision(action="escalate", confidence=confidence),
                                             handoff_of(decision)),
            )
        else:
            wait = wait_minutes(services.router, decision)
            # Unsure but not lost (the router suggests only then): the best articles to choose from,
            # before the person and "ask again".
            choices = suggestion_buttons(result.hits, decision.suggestions)
            reason_opening = next((OPENINGS[r] for r in decision.reasons if r in OPENINGS), _topic_opening(decision))
            if choices:
                # "That's outside what I can help with" would contradict the articles shown.
                said_first = None if "out_of_scope" in decision.reasons else reason_opening
                opening = f"{said_first} {SUGGESTIONS_OPENING}" if said_first else SUGGESTIONS_OPENING
            else:
                opening = reason_opening or "I'm not sure I have a good answer to that."
            offer = offer_text(opening, decision, wait, now, "you can ask me another way")
            # A sure answer is still given; the offer comes with it rather than instead of it.
            answer = f"{best.passage}\n\n" if best is not None else ""
            dispatcher.utter_message(
                text=answer + offer,
                buttons=choices + OFFER_BUTTONS,
                json_message=article.decided(offer_decision(decision, confidence)),
            )
        _record(tracker.sender_id, text, result, decision, rephrased)
        return []

    def _rephrased(self, tracker: Tracker, result: SearchResult) -> bool:
        """Whether this question says the last one again (the answer did not land)."""
        previous, questions = previous_question(tracker), self.services.questions
        if not result.query or result.vector is None:
            return False
        remembered = questions.get(tracker.sender_id, previous) if previous else None
        questions.put(tracker.sender_id, result.query, result.vector)
        if previous is None:
            return False
        similarity = (float(remembered @ result.vector) if remembered is not None
                      else self.services.knowledge.similarity(previous, result.vector))
        return similarity >= self.services.router.config.rephrase_similarity

    def _plan_price(self, result: SearchResult) -> float | None:
        """The monthly price of the plan a sure answer is about, from its fit criteria."""
        best = result.best if result.sure else None
        if best is None:
            return None
        # The article as this search saw it: listing every article of its kind read the KB's
        # revision again, a second database round trip per answer.
        doc = self.services.knowledge.doc(best.article_id)
        price = doc.criteria.get("monthly_price") if doc is not None and doc.criteria else None
        return float(price) if price is not None else None


def _escalation_lead(decision: Decision) -> str:
    if "complaint" in decision.reasons:
        return "I'm really sorry to hear that. "
    if "human_topic" in decision.reasons:
        topic = str(decision.evidence.get("topic", "")).replace("_", " ")
        return f"That's a {topic} request, which a person from our {decision.team} team handles. "
    return ""


def _topic_opening(decision: Decision) -> str | None:
    """Asking about a topic a person handles: the article answered, the team is there too."""
    if "human_topic" not in decision.reasons:
        return None
    return f"If you'd like to go ahead, a person from our {decision.team} team handles this."


def _record(conversation_id: str, text: str, result: SearchResult, decision: Decision, rephrased: bool) -> None:
    evidence = decision.evidence
    record_event(
        conversation_id,
        {"answer": "answer", "chat": "smalltalk"}.get(decision.action, "unsure"),
        question=text,
        article_id=result.best.article_id if result.best else None,
        confidence=round(result.confidence, 4),
        considered=[h.article_id for h in result.hits[:3]],
        reasons=decision.reasons,
        rephrased=rephrased,
        # What the bot saw, so `candor eval --explain` and the console can say why.
        intent=evidence.get("intent"),
        intent_confidence=evidence.get("intent_confidence"),
        searched_as=result.normalized if result.normalized != text else None,
    )

"""The fit form: ask household size, main use and budget, then recommend honestly."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerFromKb
from actions.common import (
    HELPFUL_BUTTONS,
    OFFER_BUTTONS,
    SALES_OPENING,
    OffLoop,
    conversation_context,
    offer_decision,
    offer_text,
    typed,
    wait_minutes,
)
from actions.services import Services, default_services, record_event
from conversations.reply import BotDecision, BotReply, Source
from knowledge.compose import structured
from knowledge.fit import Profile, assess, parse_budget, parse_household, parse_use, recommend
from routing.policy import Turn

FORM_SLOTS = ("fit_household", "fit_use", "fit_budget")


class ActionCheckFit(ActionAnswerFromKb):
    """Runs before the fit form (rules: check_fit, this, fit_form). The NLU's "help me choose" on a
    message the knowledge base is sure another kind of article answers ("give me a suggestion for
    a mexican meal" in CLINC150 dev got "How many people will use the connection?") is answered
    like any question and the form is not started. The "Help me choose a plan" button, a message
    the KB is unsure of, or one it answers with a fit article go on to the form."""

    def name(self) -> str:
        return "action_check_fit"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        if not text.strip() or not typed(tracker):
            return []
        result = self.services.knowledge.search(text)
        if not result.sure or result.best is None or result.best.kind == "fit":
            return []
        # Listening next overrides the rule's fit_form.
        return [*self.answer(dispatcher, tracker, result), FollowupAction("action_listen")]


class ValidateFitForm(FormValidationAction):
    """Turn free text or button answers into values the recommender understands."""

    def name(self) -> str:
        return "validate_fit_form"

    def validate_fit_household(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict[str, Any]) -> dict[str, Any]:
        size = parse_household(str(value or ""))
        if size is None:
            dispatcher.utter_message(text="Sorry, how many people will use the connection? A number is fine.")
        return {"fit_household": str(size) if size else None}

    def validate_fit_use(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: dict[str, Any]) -> dict[str, Any]:
        use = parse_use(str(value or ""))
        if use is None:
            dispatcher.utter_message(text="Sorry, I didn't catch that. Pick the closest option below.")
        return {"fit_use": use}

    def validate_fit_budget(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: dict[str, Any]) -> dict[str, Any]:
        budget = parse_budget(str(value or ""))
        if budget is None:
            dispatcher.utter_message(text="What's the most you'd like to pay a month, in pounds? Or say 'not sure'.")
            return {"fit_budget": None}
        return {"fit_budget": str(budget)}


class ActionRecommendPlan(OffLoop, Action):
    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    def name(self) -> str:
        return "action_recommend_plan"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = self._services or default_services()
        docs = services.knowledge.docs(kind="fit")
        budget = tracker.get_slot("fit_budget")
        profile = Profile(
            household=int(tracker.get_slot("fit_household") or 1),
            use=tracker.get_slot("fit_use") or "everyday",
            budget=None if budget in (None, "any") else float(budget),
        )
        assessments = assess(profile, docs)
        asked = tracker.get_slot("plan")
        recommendation = recommend(assessments, asked, profile)
        text, doc = recommendation.text, recommendation.doc
        article = BotReply(sources=[Source(article_id=doc.article_id, title=doc.title, url=doc.url)],
                           details=structured(doc, [])) if doc else BotReply()
        # The recommendation is a touchpoint like an answer: the decision stage, the article's
        # stats, and an outcome of its own when honesty says no plan (or not this one) fits.
        record_event(tracker.sender_id, "fit_recommendation", article_id=doc.article_id if doc else None,
                     verdict=recommendation.verdict, missed=list(recommendation.missed), asked=asked,
                     plan_price=recommendation.price, profile={"household": profile.household, "use": profile.use,
                                                               "budget": profile.budget})
        # Finishing the fit questions is the decision stage; a dear plan earns a sales offer.
        now = services.clock()
        offer = services.router.high_value_offer(Turn(
            stage="decision", plan_price=assessments[0].price if assessments else None,
            attributes=conversation_context(tracker.sender_id).attributes, now=now,
        ))
        if offer is None:
            dispatcher.utter_message(text=f"{text}\n\nWas this helpful?", buttons=HELPFUL_BUTTONS,
                                     json_message=article.decided(BotDecision(action="answer")))
        else:
            wait = wait_minutes(services.router, offer)
            dispatcher.utter_message(
                text=f"{text}\n\n" + offer_text(SALES_OPENING, offer, wait, now, "carry on with me"),
                buttons=OFFER_BUTTONS,
                json_message=article.decided(offer_decision(offer)),
            )
        return [SlotSet(slot, None) for slot in FORM_SLOTS]

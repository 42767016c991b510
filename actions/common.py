"""Helpers shared by actions: reading the turn and the conversation, wording a handoff."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from conversations.reply import BotDecision, BotReply, Handoff, Source
from knowledge.search import Hit
from routing.hours import describe_opening
from routing.policy import Decision, JourneyFacts, Router

logger = logging.getLogger(__name__)

HELPFUL_BUTTONS = [
    {"title": "Yes, that helped", "payload": "/feedback_helpful"},
    {"title": "No, it didn't", "payload": "/feedback_unhelpful"},
]
FIT_BUTTONS = [{"title": "Help me choose a plan", "payload": "/check_fit"}]
OFFER_BUTTONS = [
    {"title": "Talk to a person", "payload": "/request_human"},
    {"title": "Keep trying with the bot", "payload": "/keep_bot"},
]
# While queued the customer may change their mind; the web app withdraws the escalation.
QUEUED_BUTTONS = [{"title": "Keep chatting with the bot", "payload": "/keep_bot"}]
CHOOSE_INTENT = "choose_article"
ENTITY = "article_id"
# What a suggestion's button sends (Rasa reads `/intent{"entity": "value"}` without the NLU), and
# the pattern that reads the article back out of it.
PAYLOAD = re.compile(rf'^/{CHOOSE_INTENT}\{{"{ENTITY}": "([^"]+)"\}}$')
SALES_OPENING = "It's a big decision, and a person from our sales team is happy to talk it through."


class OffLoop:
    """For actions whose work blocks (MiniLM, the database, retries that sleep): ``act`` runs on
    a worker thread, so the action server's event loop keeps taking other conversations' calls."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.act, dispatcher, tracker, domain)

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        raise NotImplementedError


@dataclass
class ConversationContext:
    """What the database knows about the conversation, read in one short session."""

    failures_in_a_row: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    journey: JourneyFacts = field(default_factory=JourneyFacts)  # for the personalization rules


def conversation_context(conversation_id: str, rephrased: bool = False) -> ConversationContext:
    from candor.db import session_scope, utcnow
    from touchpoints import log
    from touchpoints.journey_facts import OWNER, journey_facts

    try:
        with session_scope() as session:
            # Three columns, not the ORM object: loading it was a third of this call.
            row = session.execute(OWNER, {"conversation_id": conversation_id}).first()
            attributes = dict(row.attributes or {}) if row else {}
            owner = (row.customer_id, row.visitor_id) if row else (None, None)
            return ConversationContext(
                log.failures_in_a_row(session, conversation_id, latest_failed=rephrased),
                attributes,
                journey_facts(session, conversation_id, utcnow(), owner),
            )
    except Exception:  # without history the turn is judged on its own; logged loudly
        logger.exception("Could not read the history of %s", conversation_id)
        return ConversationContext()


def wait_minutes(router: Router, decision: Decision) -> int | None:
    """Median recent wait in minutes; None while the team is away or the database cannot say."""
    from candor.db import session_scope
    from routing.queue import estimated_wait_minutes

    if not decision.team_open:
        return None
    try:
        with session_scope() as session:
            return estimated_wait_minutes(session, router.fallback_wait_minutes())
    except Exception:  # the estimate is a courtesy; never fail the turn over it
        return None


def _minutes(n: int) -> str:
    return f"about {n} minute{'s' if n != 1 else ''}"


def connecting_text(decision: Decision, wait: int | None, now: datetime) -> str:
    """What the customer reads when the conversation goes to the queue."""
    if not decision.team_open:
        return (
            f"Our team is offline right now and back {describe_opening(decision.opens_at, now)}. "
            "Your conversation is in their queue and they'll reply here. If you'd rather hear back by "
            "e-mail, type your e-mail address and we'll follow up."
        )
    return (
        "I'm connecting you with a person now"
        + (f" (the wait is {_minutes(wait)} right now)" if wait else "")
        + ". You'll see their reply here, and everything you type meanwhile reaches them."
    )


def offer_text(opening: str, decision: Decision, wait: int | None, now: datetime, alternative: str) -> str:
    """An offer of a person, honest about the wait or about the team being away."""
    if not decision.team_open:
        return (
            f"{opening} Our team is back {describe_opening(decision.opens_at, now)}: I can pass this to "
            f"them now and they'll reply here or by e-mail, or {alternative}."
        )
    return (
        f"{opening} I can connect you with a person"
        + (f" (the wait is {_minutes(wait)} right now)" if wait else "")
        + f", or {alternative}."
    )


def intent_of(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def previous_question(tracker: Tracker) -> str | None:
    """The customer's message before this one, skipping button payloads like '/keep_bot'."""
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    for text in reversed(texts[:-1]):
        if text and not text.startswith("/"):
            return text
    return None


def last_offer(tracker: Tracker) -> Decision | None:
    """The bot's offer of a person, if it made one right before this turn, as the router's decision."""
    seen_current_turn = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_current_turn:
                return None
            seen_current_turn = True
            continue
        if event.get("event") != "bot":
            continue
        decision = BotReply.read((event.get("data") or {}).get("custom")).decision
        offered = decision.offered() if decision is not None else None
        if offered is not None:
            return Decision("offer", offered.reasons, team=offered.team or "general",
                            priority=offered.priority or 3, evidence=offered.evidence)
    return None


def handoff_of(decision: Decision) -> Handoff:
    """The router's decision as the handoff the web app queues (or the offer it may accept)."""
    return Handoff(reasons=decision.reasons, team=decision.team, priority=decision.priority,
                   evidence=decision.evidence)


def offer_decision(decision: Decision, confidence: float | None = None) -> BotDecision:
    """An offer of a person: the handoff it would make travels with it, so accepting it hands
    the same case to the same team."""
    return BotDecision(action="offer", confidence=confidence, **handoff_of(decision).model_dump())


def article_reply(hit: Hit | None) -> BotReply:
    """The article an answer quotes: its source, and its structured transparency for the widget."""
    if hit is None:
        return BotReply()
    details = dict(hit.details)
    if hit.shortened:
        details["shortened"] = True  # the widget's source line reads "Read the whole article"
    return BotReply(sources=[Source(article_id=hit.article_id, title=hit.title, url=hit.url)], details=details)


def choice_payload(article_id: str) -> str:
    return f'/{CHOOSE_INTENT}{{"{ENTITY}": "{article_id}"}}'


def suggestion_buttons(hits: list[Hit], suggested: tuple[str, ...]) -> list[dict[str, str]]:
    """One button per suggested article, titled as the article is; the payload names the article."""
    titles = {hit.article_id: hit.title for hit in hits}
    return [{"title": titles[article_id], "payload": choice_payload(article_id)}
            for article_id in suggested if article_id in titles]


def typed(tracker: Tracker) -> bool:
    """Whether the customer typed the latest message, rather than sent a button's payload."""
    return not (tracker.latest_message.get("text") or "").startswith("/")

"""The answer action with real rasa_sdk trackers, a small real index and the real router."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.answer import ActionAnswerFromKb
from actions.services import Services
from knowledge.calibration import load_calibration
from knowledge.search import Doc, KnowledgeSearch
from routing.policy import Router
from touchpoints.models import Event

pytestmark = pytest.mark.unit

DOCS = [
    Doc("installation-fee", "How much does installation cost?", "cost",
        "Installation is free on a 12-month contract and £60 on rolling monthly.\n\nIt pays for the visit.",
        ("how much is installation", "is there a setup fee", "installation price"),
        "https://kestrelfibre.example/help/installation-fee"),
    Doc("how-to-cancel", "How do I cancel?", "howto",
        "Call us or use your account page, giving 30 days' notice.",
        ("how do i cancel", "i want to leave", "close my account"),
        "https://kestrelfibre.example/help/how-to-cancel"),
    Doc("router-return-fee", "What is the router fee?", "cost",
        "Return the router within 30 days of leaving or pay £40.",
        ("do i have to send the router back", "router fee"),
        "https://kestrelfibre.example/help/router-return-fee"),
]


@pytest.fixture(scope="module")
def action(embedder):
    search = KnowledgeSearch(embedder, load_calibration())
    search.upsert(DOCS)
    # Monday mid-morning in London: the team is in, so the wording does not depend on the clock.
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    return ActionAnswerFromKb(Services(knowledge=search, router=Router(), clock=lambda: monday))


def tracker(text: str, intent: str, confidence: float = 0.9, slots: dict | None = None) -> Tracker:
    return Tracker(
        sender_id=str(uuid.uuid4()), slots=slots or {}, latest_message={
            "text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen",
    )


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return events, dispatcher.messages


def test_a_covered_question_gets_the_answer_one_citation_and_helpful_buttons(action, session):
    turn = tracker("what does it cost to get installed?", "ask_cost")
    events, messages = run(action, turn)
    assert events == []
    [message] = messages
    assert message["text"].startswith("Installation is free on a 12-month contract")
    # Cited once, by the source line the widget draws from `sources`; the text does not repeat it.
    assert "How much does installation cost?" not in message["text"]
    assert message["custom"]["details"] == {"shortened": True}  # "It pays for the visit." is left to read
    assert message["custom"]["sources"] == [{
        "article_id": "installation-fee", "title": "How much does installation cost?",
        "url": "https://kestrelfibre.example/help/installation-fee"}]
    assert [b["payload"] for b in message["buttons"]] == ["/feedback_helpful", "/feedback_unhelpful"]
    recorded = session.scalars(select(Event).where(Event.conversation_id == turn.sender_id)).all()
    assert [(e.kind, e.data["article_id"]) for e in recorded] == [("answer", "installation-fee")]


def test_an_unsure_search_hands_over_to_routing_instead_of_guessing(action, session):
    turn = tracker("what's the weather like in york tomorrow", "nlu_fallback", 0.3)
    _, messages = run(action, turn)
    [message] = messages
    assert "custom" not in message or not message["custom"].get("sources")
    assert message["custom"]["decision"]["action"] == "offer"
    assert "low_confidence" in message["custom"]["decision"]["reasons"]
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/keep_bot"]
    [event] = session.scalars(select(Event).where(Event.conversation_id == turn.sender_id)).all()
    assert event.kind == "unsure"


def test_an_escalation_with_an_empty_knowledge_base_is_handed_over_without_quoting_an_article(embedder, session):
    # No published article: search has no best hit at all, and the hand-over must still be worded.
    empty = ActionAnswerFromKb(Services(knowledge=KnowledgeSearch(embedder, load_calibration()), router=Router(),
                                        clock=lambda: datetime(2026, 11, 23, 10, 0, tzinfo=UTC)))
    turn = tracker("I want to speak to a person", "request_human", 0.95)
    _, messages = run(empty, turn)
    [message] = messages
    assert message["custom"]["decision"]["action"] == "escalate"
    assert message["custom"]["sources"] == []
    assert "here's what our article says" not in message["text"]


@pytest.mark.parametrize(("text", "intent"), [("bye, thanks", "goodbye"), ("no", "deny")])
def test_a_customer_leaving_a_bot_only_chat_is_asked_for_a_rating_once(action, text, intent):
    _, messages = run(action, tracker(text, intent, 0.95))
    assert messages[-1]["text"].startswith("Before you go, how would you rate this chat")
    assert [b["title"] for b in messages[-1]["buttons"]] == ["1", "2", "3", "4", "5"]
    _, again = run(action, tracker(text, intent, 0.95, slots={"rating": "4"}))
    assert all("rate this chat" not in (m.get("text") or "") for m in again)


def test_a_greeting_asks_for_no_rating(action):
    _, messages = run(action, tracker("hello", "greet", 0.95))
    assert all("rate this chat" not in (m.get("text") or "") for m in messages)


def test_a_small_talk_reply_keeps_what_the_bot_saw(action, session):
    turn = tracker("hello", "greet", 0.95)
    run(action, turn)
    [event] = session.scalars(select(Event).where(Event.conversation_id == turn.sender_id)).all()
    assert event.kind == "smalltalk"
    assert event.data["intent"] == "greet" and event.data["intent_confidence"] == 0.95
    assert event.data["question"] == "hello" and "confidence" in event.data


def test_keep_trying_gets_its_own_reply_but_a_question_taken_for_it_is_answered(action):
    _, messages = run(action, tracker("/keep_bot", "keep_bot", 1.0))
    assert [m.get("response") for m in messages] == ["utter_keep_trying"]
    _, messages = run(action, tracker("is there a setup fee on a 12 month contract?", "keep_bot", 0.9))
    assert messages[0]["custom"]["sources"][0]["article_id"] == "installation-fee"

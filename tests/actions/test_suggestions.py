""""Is it one of these?": an unsure search shows its best articles, and the one chosen is answered
(real rasa_sdk trackers, a small real index, the real router)."""

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.answer import ActionAnswerFromKb
from actions.services import Services
from actions.suggestions import ActionAnswerChosenArticle
from knowledge.calibration import load_calibration
from knowledge.search import Doc, KnowledgeSearch
from routing.policy import Router
from touchpoints.models import Event

pytestmark = pytest.mark.unit

DOCS = [
    Doc("installation-fee", "How much does installation cost?", "cost",
        "Installation is free on a 12-month contract and £60 on rolling monthly.",
        ("how much is installation", "is there a setup fee")),
    Doc("router-return-fee", "What is the router fee?", "cost",
        "Return the router within 30 days of leaving or pay £40.",
        ("do i have to send the router back", "router fee")),
    Doc("own-router", "Can I use my own router?", "tradeoff",
        "Yes. Our router is set up for you; your own may lack Wi-Fi 6.",
        ("can i use my own router", "bring my own router")),
]
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)   # the team is in: the wording does not depend on the clock
# A question search ranks but is not sure of at the shipped threshold.
VAGUE = "what about the router when i go"


@pytest.fixture(scope="module")
def services(embedder):
    search = KnowledgeSearch(embedder, load_calibration())
    search.upsert(DOCS)
    return Services(knowledge=search, router=Router(), clock=lambda: MONDAY)


def tracker(text: str, intent: str, confidence: float = 0.9, entities: list | None = None,
            events: list | None = None, sender: str | None = None) -> Tracker:
    return Tracker(
        sender_id=sender or str(uuid.uuid4()), slots={}, latest_message={
            "text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []},
        events=events or [], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen",
    )


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    assert asyncio.run(action.run(dispatcher, tracker_, {})) == []
    return dispatcher.messages


def test_an_unsure_search_shows_its_best_articles_beside_the_person(services):
    result = services.knowledge.search(VAGUE)
    rule = services.router.config.suggestions
    assert not result.sure and result.confidence >= rule.min_confidence and result.top_similarity >= rule.min_similarity
    [message] = run(ActionAnswerFromKb(services), tracker(VAGUE, "ask_cost"))
    assert message["custom"]["decision"]["action"] == "offer"
    assert message["custom"]["sources"] == []          # nothing is answered on a guess
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[-2:] == ["/request_human", "/keep_bot"]
    suggested = [h.article_id for h in result.hits[:3]]
    assert payloads[:-2] == [f'/choose_article{{"article_id": "{a}"}}' for a in suggested]
    titles = {d.article_id: d.title for d in DOCS}
    assert [b["title"] for b in message["buttons"][:-2]] == [titles[a] for a in suggested]
    assert message["text"].startswith("I'm not sure which of our articles answers that; these are the closest.")
    assert message["custom"]["decision"]["evidence"]["suggested"] == suggested


def test_a_sure_answer_and_a_lost_search_show_no_suggestions(services):
    [sure] = run(ActionAnswerFromKb(services), tracker("how much is installation?", "ask_cost"))
    assert not any(b["payload"].startswith("/choose_article") for b in sure["buttons"])
    config = services.router.config.model_copy(deep=True)
    config.suggestions.count = 0
    off = dataclasses.replace(services, router=Router(config))
    [message] = run(ActionAnswerFromKb(off), tracker(VAGUE, "ask_cost"))
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/keep_bot"]


def asked_then_chose(services, payload_article: str | None, typed: str | None = None) -> tuple[Tracker, list]:
    """The customer asked VAGUE, got the suggestions, then clicked one (or typed ``typed``)."""
    sender = str(uuid.uuid4())
    [offer] = run(ActionAnswerFromKb(services), tracker(VAGUE, "ask_cost", sender=sender))
    events = [{"event": "user", "text": VAGUE},
              {"event": "bot", "text": offer["text"], "data": {"buttons": offer["buttons"], "custom": offer["custom"]}}]
    if typed is None:
        text = f'/choose_article{{"article_id": "{payload_article}"}}'
        entities = [{"entity": "article_id", "value": payload_article}]
    else:
        text, entities = typed, []
    events.append({"event": "user", "text": text})
    turn = tracker(text, "choose_article", 1.0, entities, events, sender)
    return turn, run(ActionAnswerChosenArticle(services), turn)


def test_the_chosen_article_is_answered_for_the_question_asked_and_recorded(services, session):
    turn, [message] = asked_then_chose(services, "router-return-fee")
    assert message["text"].startswith("Return the router within 30 days")
    assert message["custom"]["sources"][0]["article_id"] == "router-return-fee"
    assert message["custom"]["decision"] == {"action": "answer", "reasons": ["chosen_by_customer"]}
    assert [b["payload"] for b in message["buttons"]] == ["/feedback_helpful", "/feedback_unhelpful"]
    recorded = session.scalars(select(Event).where(Event.conversation_id == turn.sender_id,
                                                   Event.kind == "answer")).all()
    assert [(e.data["article_id"], e.data["question"], e.data["chosen"]) for e in recorded] == [
        ("router-return-fee", VAGUE, True)]


def test_a_choice_typed_by_its_position_is_the_same_choice(services):
    suggested = [h.article_id for h in services.knowledge.search(VAGUE).hits[:3]]
    _, [second] = asked_then_chose(services, None, typed="the second one please")
    assert second["custom"]["sources"][0]["article_id"] == suggested[1]
    _, [last] = asked_then_chose(services, None, typed="the last one")
    assert last["custom"]["sources"][0]["article_id"] == suggested[-1]


def test_a_typed_message_that_names_no_choice_is_answered_as_a_question(services):
    _, [message] = asked_then_chose(services, None, typed="how much is installation?")
    assert message["custom"]["sources"][0]["article_id"] == "installation-fee"
    assert message["custom"]["decision"]["action"] == "answer"
    assert "chosen_by_customer" not in (message["custom"]["decision"].get("reasons") or [])


def test_an_article_unpublished_since_it_was_suggested_is_said_and_a_person_offered(services):
    _, [message] = asked_then_chose(services, "no-such-article")
    assert message["text"].startswith("That article is no longer available, sorry.")
    assert message["custom"]["decision"]["action"] == "offer"
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/keep_bot"]

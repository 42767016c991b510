import pytest

from actions.feedback import ActionRecordFeedback, ActionRecordRating, parse_rating

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [("4", "4 stars", 4), (None, "I'd give it 5 out of 5", 5), ("9", "9 stars", None),
     (None, "great chat", None), ("2.0", "", 2)],
)
def test_parse_rating(slot, text, expected):
    assert parse_rating(slot, text) == expected


def _tracker(text: str, intent: str, entities: list[dict] | None = None, slots: dict | None = None):
    import uuid

    from rasa_sdk import Tracker

    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    return Tracker(sender_id=str(uuid.uuid4()), slots=slots or {}, latest_message=latest,
                   events=[{"event": "user", **latest}], paused=False, followup_action=None, active_loop={},
                   latest_action_name="action_listen")


def _run(action, tracker) -> dict:
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    [message] = dispatcher.messages
    return message


def _ratings(conversation_id: str) -> list[dict]:
    from sqlalchemy import select

    from candor.db import session_scope
    from touchpoints.models import Event

    with session_scope() as session:
        return [e.data for e in session.scalars(select(Event).where(
            Event.conversation_id == conversation_id, Event.kind == "rating"))]


def test_a_confirmed_answer_offers_to_end_with_the_rating_prompt(database):
    from actions.feedback import ActionRecordFeedback, ActionRecordRating

    confirmed = _run(ActionRecordFeedback(), _tracker("/feedback_helpful", "feedback_helpful"))
    [done] = confirmed["buttons"]
    assert done["title"] == "No, that's all" and done["payload"] == "/rate"
    # "That's all" (the rate intent with no score) is answered with the 1–5 buttons, nothing recorded.
    tracker = _tracker(done["payload"], "rate", slots={"rating": "2"})   # a stale slot must not count
    prompt = _run(ActionRecordRating(), tracker)
    assert "rate this chat" in prompt["text"]
    assert [b["payload"] for b in prompt["buttons"]] == [f'/rate{{"rating": "{n}"}}' for n in range(1, 6)]
    assert _ratings(tracker.sender_id) == []
    # A click on a button is the score.
    clicked = _tracker(prompt["buttons"][4]["payload"], "rate", [{"entity": "rating", "value": "5"}])
    assert _run(ActionRecordRating(), clicked)["text"] == "Thank you for rating us 5 out of 5."
    assert [r["score"] for r in _ratings(clicked.sender_id)] == [5]


@pytest.mark.parametrize(("action", "text", "intent"), [
    (ActionRecordRating(), "when does the 2 gig package come out", "rate"),
    (ActionRecordFeedback(), "recieved an email saying survay needed wat does that mean", "feedback_unhelpful"),
])
def test_a_typed_first_message_the_nlu_took_for_feedback_is_answered_as_a_question(monkeypatch, action, text, intent):
    from actions.answer import ActionAnswerFromKb

    asked = []

    def answer(self, dispatcher, tracker, domain):
        asked.append(tracker.latest_message["text"])
        dispatcher.utter_message(text="the knowledge base's answer")
        return []

    monkeypatch.setattr(ActionAnswerFromKb, "act", answer)
    assert _run(action, _tracker(text, intent))["text"] == "the knowledge base's answer"
    assert asked == [text]
    # Later in a conversation, or sent by a button, it is the feedback it says it is.
    later = _tracker(text, intent)
    later.events.insert(0, {"event": "user", "text": "how much is installation?"})
    _run(action, later)
    _run(action, _tracker('/rate{"rating": "2"}' if intent == "rate" else "/feedback_unhelpful", intent,
                          [{"entity": "rating", "value": "2"}] if intent == "rate" else None))
    assert asked == [text]

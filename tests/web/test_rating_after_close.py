"""An agent's "Resolve: close" asks the customer for a rating; the closed conversation then takes
exactly that rating payload, once, and refuses everything else with nothing stored."""

import pytest
from test_handover import Desk

from candor.db import session_scope
from touchpoints import log

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("database")]


def _closed_by_agent():
    desk = Desk()
    desk.agent("ana")
    escalation_id, conversation_id, customer = desk.waiting()
    assert desk.post("ana", f"/api/escalations/{escalation_id}/claim").status_code == 200
    resolved = desk.post("ana", f"/api/escalations/{escalation_id}/resolve", {"return_to_bot": False})
    assert resolved.status_code == 200, resolved.text
    return desk, conversation_id, customer


def _messages(desk, conversation_id, customer):
    return desk.client.get(f"/api/conversations/{conversation_id}", headers=customer).json()["messages"]


def _send(desk, conversation_id, customer, text):
    return desk.client.post(f"/api/conversations/{conversation_id}/messages", json={"text": text}, headers=customer)


def test_agent_close_prompts_for_a_rating_and_takes_it_after_close():
    desk, conversation_id, customer = _closed_by_agent()
    prompt = _messages(desk, conversation_id, customer)[-1]
    assert "How would you rate" in prompt["text"]
    assert [b["title"] for b in prompt["buttons"]] == ["1", "2", "3", "4", "5"]
    rated = _send(desk, conversation_id, customer, prompt["buttons"][3]["payload"])
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"
    assert rated.json()["messages"][0]["text"] == "Thank you for rating us 4 out of 5."
    with session_scope() as session:
        rating = log.last_event(session, conversation_id, "rating")
        assert rating is not None and rating.data["score"] == 4 and rating.data["source"] == "agent_close"
    transcript = _messages(desk, conversation_id, customer)
    assert [m["text"] for m in transcript[-2:]] == ["4", "Thank you for rating us 4 out of 5."]


@pytest.mark.parametrize("text", ["thanks, bye", "/rate{\"rating\": \"9\"}", "/request_human", "4"])
def test_anything_but_a_rating_payload_is_refused_after_close(text):
    desk, conversation_id, customer = _closed_by_agent()
    before = _messages(desk, conversation_id, customer)
    refused = _send(desk, conversation_id, customer, text)
    assert refused.status_code == 409 and "closed" in refused.text
    assert _messages(desk, conversation_id, customer) == before


def test_a_second_rating_after_close_is_refused():
    desk, conversation_id, customer = _closed_by_agent()
    payload = _messages(desk, conversation_id, customer)[-1]["buttons"][4]["payload"]
    assert _send(desk, conversation_id, customer, payload).status_code == 200
    again = _send(desk, conversation_id, customer, payload)
    assert again.status_code == 409
    with session_scope() as session:
        assert log.last_event(session, conversation_id, "rating").data["score"] == 5

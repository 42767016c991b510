"""Faults against the real processes: the action server or Rasa killed mid-conversation.

Each test kills a process of the shared stack and restarts it before it ends, so the tests
after it find the stack whole.
"""

import time

import pytest

pytestmark = pytest.mark.integration

KB_QUESTION = "how much does installation cost?"


def timeline(api, agents, conversation_id):
    return api.get(f"/api/touchpoints/{conversation_id}", headers=agents["eve"]).json()["timeline"]


def test_action_server_killed_mid_conversation(stack, api, new_customer, agents):
    customer = new_customer()
    assert customer.say(KB_QUESTION)["messages"][0]["sources"]  # a normal answer first

    stack.kill("actions")
    try:
        started = time.monotonic()
        reply = customer.say("and how long does it take?")
        assert time.monotonic() - started < 5
        [apology] = reply["messages"]
        assert apology["text"].startswith("Sorry, something went wrong on our side")
        assert [b["title"] for b in apology["buttons"]] == ["Talk to a person"]
        assert reply["status"] == "bot"
        health = api.get("/healthz")
        assert health.status_code == 503 and not health.json()["components"]["actions"]["ok"]

        # The offer works although the bot's own handoff (an action) cannot run.
        handed = customer.say("/request_human")
        assert handed["status"] == "queued"
        failures = [e for e in timeline(api, agents, customer.id) if e["kind"] == "bot_failure"]
        assert [e["cause"] for e in failures] == ["action_server_down", "action_server_down"]
        escalated = [e for e in timeline(api, agents, customer.id) if e["kind"] == "escalated"]
        assert escalated[-1]["reasons"] == ["bot_unavailable"]
    finally:
        stack.restart("actions")

    later = new_customer()
    assert later.say(KB_QUESTION)["messages"][0]["sources"]  # recovered
    assert api.get("/healthz").status_code == 200


def test_rasa_down_sends_messages_to_people_and_loses_none(stack, api, new_customer, agents):
    customer = new_customer()
    stack.kill("rasa")
    try:
        reply = customer.say("my bill is wrong")
        assert reply["status"] == "queued"
        assert "passed your message to our team" in reply["messages"][0]["text"]
        health = api.get("/healthz").json()
        assert health["status"] == "degraded" and "not answering" in health["components"]["rasa"]["detail"]
        customer.say("are you there?")  # while queued, messages wait for the agent
        said = [m["text"] for m in customer.transcript()["messages"] if m["sender"] == "customer"]
        assert said == ["my bill is wrong", "are you there?"]
        queued = api.get("/api/escalations", params={"status": "queued"}, headers=agents["ana"]).json()
        [mine] = [e for e in queued if e["conversation_id"] == customer.id]
        assert mine["reasons"] == ["bot_unavailable"]
    finally:
        stack.restart("rasa")
    assert new_customer().say(KB_QUESTION)["messages"][0]["sources"]

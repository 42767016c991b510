"""A full handoff through the real stack: escalate, claim, talk, hand back, rate."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def rasa_paused(settings, conversation_id: str) -> bool:
    import httpx

    tracker = httpx.get(f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
                        params={"token": settings.rasa_token}, timeout=10).json()
    return tracker["paused"]


def test_escalate_claim_talk_and_hand_back_to_the_bot(api, customer, agents, stack_settings):
    assert customer.say("I need to talk to a real person")["status"] == "queued"

    queued = api.get("/api/escalations", params={"status": "queued"}, headers=agents["ana"]).json()
    [mine] = [e for e in queued if e["conversation_id"] == customer.id]
    assert mine["reasons"] == ["explicit_request"] and mine["sla_due_at"] > mine["created_at"]
    assert api.get("/api/escalations", headers=agents["eve"]).status_code == 403
    assert api.get("/api/escalations").status_code == 401
    assert all(e["team"] == "technical" for e in api.get("/api/escalations", headers=agents["tim"]).json())

    detail = api.get(f"/api/escalations/{mine['id']}", headers=agents["ana"]).json()
    assert [m["sender"] for m in detail["transcript"]][:1] == ["customer"]

    claimed = api.post(f"/api/escalations/{mine['id']}/claim", headers=agents["ana"])
    assert claimed.status_code == 200 and claimed.json()["claimed_by"].startswith("ana")
    again = api.post(f"/api/escalations/{mine['id']}/claim", headers=agents["ben"])
    assert again.status_code == 409
    assert rasa_paused(stack_settings, customer.id)

    waiting = customer.say("thanks, my router keeps dropping out")
    assert waiting == {"messages": [], "status": "agent"}
    not_yours = api.post(f"/api/escalations/{mine['id']}/messages", json={"text": "hi"}, headers=agents["ben"])
    assert not_yours.status_code == 409
    reply = api.post(f"/api/escalations/{mine['id']}/messages",
                     json={"text": "Sorry about that. I've reset your line; try now."}, headers=agents["ana"])
    assert reply.status_code == 200

    transcript = customer.transcript()["messages"]
    assert transcript[-2]["text"] == "thanks, my router keeps dropping out"
    assert transcript[-1] == {**transcript[-1], "sender": "agent",
                              "text": "Sorry about that. I've reset your line; try now."}
    assert all(m["sender"] != "bot" for m in transcript[-2:])

    done = api.post(f"/api/escalations/{mine['id']}/resolve", json={"return_to_bot": True}, headers=agents["ana"])
    assert done.status_code == 200 and done.json()["conversation_status"] == "bot"
    assert not rasa_paused(stack_settings, customer.id)
    after = customer.transcript()
    assert after["status"] == "bot" and "How would you rate" in after["messages"][-1]["text"]
    assert len(after["messages"][-1]["buttons"]) == 5
    assert api.post(f"/api/escalations/{mine['id']}/resolve", json={"return_to_bot": True},
                    headers=agents["ana"]).status_code == 409

    rated = customer.say('/rate{"rating": "5"}')
    assert "5 out of 5" in rated["messages"][0]["text"]
    answer = customer.say("how much is installation?")
    assert answer["status"] == "bot" and answer["messages"][0]["sources"]


def test_closing_without_the_bot_closes_the_conversation(api, customer, agents):
    customer.say("can I speak to an agent")
    [mine] = [e for e in api.get("/api/escalations", params={"status": "queued"}, headers=agents["ben"]).json()
              if e["conversation_id"] == customer.id]
    api.post(f"/api/escalations/{mine['id']}/claim", headers=agents["ben"])
    done = api.post(f"/api/escalations/{mine['id']}/resolve", json={"return_to_bot": False}, headers=agents["ben"])
    assert done.json()["conversation_status"] == "closed"
    closed = customer.api.post(f"/api/conversations/{customer.id}/messages", json={"text": "hello?"},
                               headers=customer.headers)
    assert closed.status_code == 409 and "start a new one" in closed.json()["detail"]
    said = [m["text"] for m in customer.transcript()["messages"] if m["sender"] == "customer"]
    assert said == ["can I speak to an agent"]  # the refused message was answered 409, not stored


def test_customer_rating_endpoint_validates_the_score_and_masks_the_comment(api, customer, agents):
    customer.say("how much is installation?")  # a touchpoint exists once the customer has spoken
    comment = "quick! call me on +44 20 7946 0958 or mail jo@example.com"
    assert api.post(f"/api/conversations/{customer.id}/rating", json={"score": 4, "comment": comment},
                    headers=customer.headers).status_code == 200
    timeline = api.get(f"/api/touchpoints/{customer.id}", headers=agents["eve"]).json()["timeline"]
    [rating] = [e for e in timeline if e["kind"] == "rating"]
    assert rating["score"] == 4 and rating["comment"].startswith("quick! call me on ")
    assert "7946" not in rating["comment"] and "jo@example.com" not in rating["comment"]
    bad = api.post(f"/api/conversations/{customer.id}/rating", json={"score": 9}, headers=customer.headers)
    assert bad.status_code == 422 and "score" in bad.json()["detail"]


def test_a_cancellation_goes_to_the_retention_team_with_the_article(api, customer, agents):
    # Asking to cancel queues at once; asking *how* cancelling works is answered (tests/integration/test_judgment.py).
    reply = customer.say("please cancel my contract")
    assert reply["status"] == "queued"
    assert any("retention team" in m["text"] for m in reply["messages"]), reply
    queued = api.get("/api/escalations", params={"status": "queued"}, headers=agents["ana"]).json()
    [mine] = [e for e in queued if e["conversation_id"] == customer.id]
    assert (mine["reasons"], mine["team"]) == (["human_topic"], "retention")
    detail = api.get(f"/api/escalations/{mine['id']}", headers=agents["ana"]).json()
    assert detail["evidence"][0]["topic"] == "cancellation"
    assert detail["considered_articles"]  # the agent sees what the bot looked at


def test_a_vip_asking_for_a_person_is_more_urgent(api, agents):
    created = api.post("/api/conversations", json={"attributes": {"vip": True}}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    reply = api.post(f"/api/conversations/{created['id']}/messages", json={"text": "I need to talk to a real person"},
                     headers=headers).json()
    assert reply["status"] == "queued"
    queued = api.get("/api/escalations", params={"status": "queued"}, headers=agents["ana"]).json()
    [mine] = [e for e in queued if e["conversation_id"] == created["id"]]
    assert mine["reasons"] == ["explicit_request"] and mine["priority"] == 1

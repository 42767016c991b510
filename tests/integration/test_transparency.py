"""What the customer reads through the real stack: whole answers with their structure, questions
about human topics answered, leaving the queue, the fit form as a touchpoint, tone that forgets."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _queued(api, agents, conversation_id: str) -> list[dict]:
    queued = api.get("/api/escalations", params={"status": "queued"}, headers=agents["ana"]).json()
    return [e for e in queued if e["conversation_id"] == conversation_id]


def test_a_cost_answer_is_whole_cited_once_and_carries_its_breakdown(customer):
    [message] = customer.say("how much does installation cost?")["messages"]
    assert message["sources"][0]["article_id"] == "installation-fee"
    assert "(From" not in message["text"] and message["sources"][0]["title"] not in message["text"]
    assert message["text"].endswith("Was this helpful?")
    rows = message["details"]["cost_breakdown"]
    assert {"item": "Engineer time", "amount": "£95.00", "note": "2–3 hours on site plus travel."} in rows
    assert message["details"]["shortened"] is True  # the widget links "Read the whole article"


def test_a_fit_and_a_tradeoff_answer_carry_their_structure(customer):
    [fit] = customer.say("what kind of household is Plus 500 for?")["messages"]
    assert fit["details"]["good_for"] and fit["details"]["poor_for"]
    [tradeoff] = customer.say("difference between the 500 and 900 plans")["messages"]
    comparison = tradeoff["details"]["comparison"]
    assert comparison["columns"] == ["", "Plus 500", "Max 900"]
    assert ["Price (12-month)", "£36", "£49"] in comparison["rows"]


def test_a_yes_no_question_gets_the_plain_no_first(customer):
    [message] = customer.say("do you do mobile SIMs?")["messages"]
    assert message["text"].startswith("No — no TV packages, sports channels or mobile SIMs.")


def test_asking_about_cancelling_is_answered_while_asking_to_cancel_queues(api, agents, new_customer):
    asking = new_customer()
    reply = asking.say("can I cancel in the first 14 days")
    assert reply["status"] == "bot"
    [message] = reply["messages"]
    assert message["sources"][0]["article_id"] == "cooling-off-and-refunds"
    assert message["text"].startswith("Yes.") and "retention team" in message["text"]
    assert "/request_human" in [b["payload"] for b in message["buttons"]]
    assert _queued(api, agents, asking.id) == []

    leaving = new_customer()
    assert leaving.say("cancel my account")["status"] == "queued"
    assert [e["team"] for e in _queued(api, agents, leaving.id)] == ["retention"]


def test_keep_chatting_with_the_bot_withdraws_the_escalation(api, agents, customer):
    queued = customer.say("I want to talk to a person")
    assert queued["status"] == "queued"
    assert "/keep_bot" in [b["payload"] for m in queued["messages"] for b in m["buttons"]]
    assert len(_queued(api, agents, customer.id)) == 1

    back = customer.say("/keep_bot")
    assert back["status"] == "bot" and "out of the queue" in back["messages"][0]["text"]
    assert _queued(api, agents, customer.id) == []  # the place in the queue is freed
    answer = customer.say("how much is installation?")
    assert answer["status"] == "bot" and answer["messages"][0]["sources"]

    said = [m["text"] for m in customer.transcript()["messages"] if m["sender"] == "customer"]
    assert said[:2] == ["I want to talk to a person", "Keep chatting with the bot"]  # words, not payloads
    timeline = api.get(f"/api/touchpoints/{customer.id}", headers=agents["eve"]).json()["timeline"]
    assert "escalation_withdrawn" in [e["kind"] for e in timeline]


def test_the_fit_form_is_a_decision_touchpoint_with_its_recommendation(api, agents, customer):
    customer.say("/check_fit")
    customer.say("just me")
    customer.say("browsing and streaming")
    [verdict] = customer.say("under £30")["messages"]
    assert [b["payload"] for b in verdict["buttons"]][:2] == ["/feedback_helpful", "/feedback_unhelpful"]
    assert verdict["details"]["good_for"]
    customer.say("/feedback_helpful")
    touchpoint = api.get(f"/api/touchpoints/{customer.id}", headers=agents["eve"]).json()
    assert touchpoint["stage"] == "decision"
    assert touchpoint["resolution"] == "answered_confirmed"
    assert touchpoint["articles"] == ["essential-150-who-its-for"]
    [event] = [e for e in touchpoint["timeline"] if e["kind"] == "fit_recommendation"]
    assert (event["article_id"], event["verdict"], event["missed"]) == ("essential-150-who-its-for", "fits", [])


def test_when_nothing_fits_the_bot_says_so_and_records_not_a_fit(api, agents, customer):
    customer.say("/check_fit")
    customer.say("just me")
    customer.say("running a business")
    [verdict] = customer.say("under £20")["messages"]
    assert "none of our plans fits" in verdict["text"]
    touchpoint = api.get(f"/api/touchpoints/{customer.id}", headers=agents["eve"]).json()
    assert touchpoint["resolution"] == "not_a_fit" and touchpoint["stage"] == "decision"
    [event] = [e for e in touchpoint["timeline"] if e["kind"] == "fit_recommendation"]
    assert event["verdict"] == "no_plan_fits" and event["missed"]


def test_after_a_person_helped_the_slate_is_clean(api, agents, customer):
    for question in ("how much does installation cost?", "will my price go up in april?"):
        customer.say(question)
        customer.say("/feedback_unhelpful")
    assert customer.say("I want to talk to a person")["status"] == "queued"
    [mine] = _queued(api, agents, customer.id)
    api.post(f"/api/escalations/{mine['id']}/claim", headers=agents["ben"])
    done = api.post(f"/api/escalations/{mine['id']}/resolve", json={"return_to_bot": True}, headers=agents["ben"])
    assert done.json()["conversation_status"] == "bot"
    customer.say('/rate{"rating": "4"}')
    reply = customer.say("do I have to send the router back?")
    assert reply["status"] == "bot"
    [message] = reply["messages"]
    assert message["sources"] and "sorry" not in message["text"].lower()
    assert [b["payload"] for b in message["buttons"]] == ["/feedback_helpful", "/feedback_unhelpful"]

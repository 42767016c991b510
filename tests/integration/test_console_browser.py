"""The agent console in a real browser: sign in, take a conversation, answer, note, hand back."""


import re

import pytest
from browser_helpers import expect_inside, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def cara(new_staff) -> tuple[str, str]:
    return new_staff("cara", "agent")


def queued_escalation(api, who: tuple[str, str], conversation_id: str) -> dict:
    token = api.post("/api/auth/login", json={"username": who[0], "password": who[1]}).json()["token"]
    queued = api.get("/api/escalations", params={"status": "queued"}, headers={"Authorization": f"Bearer {token}"})
    [mine] = [e for e in queued.json() if e["conversation_id"] == conversation_id]
    return mine


def test_an_agent_takes_answers_notes_and_hands_back(page, stack_settings, api, customer, new_customer, cara):
    url = stack_settings.web_url
    assert customer.say("I need to talk to a real person")["status"] == "queued"
    mine = queued_escalation(api, cara, customer.id)
    sign_in(page, url, "/console", cara)
    entry = page.locator("#queued .item").filter(has_text=f"#{mine['id']} ")
    expect(entry).to_contain_text("Asked for a person")
    entry.get_by_role("button").click()
    expect(page.locator("#detail .title")).to_contain_text(f"Escalation #{mine['id']} · queued")
    expect(page.locator("#detail .transcript")).to_contain_text("I need to talk to a real person")

    # Without the page's CSRF header, the session cookie alone cannot act.
    forged = page.request.post(f"{url}/api/escalations/{mine['id']}/claim")
    assert forged.status == 403 and "CSRF" in forged.json()["detail"]

    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#detail .title")).to_contain_text("claimed")
    expect(page.locator("#mine .item").filter(has_text=f"#{mine['id']} ")).to_be_visible()
    page.get_by_label("Canned response", exact=True).select_option(label="Greeting")
    reply = page.get_by_label("Reply to the customer")
    expect(reply).to_have_value("Hi, I'm here to help. I've read your conversation with our assistant so far.")
    reply.fill(reply.input_value() + " Let's sort this out.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#detail .transcript .message.agent")).to_contain_text("Let's sort this out.")
    sent = customer.transcript()["messages"][-1]
    assert sent["text"].endswith("Let's sort this out.") and sent["sender_name"] == cara[0]
    expect(page.locator("#detail .transcript .message.agent .sender")).to_have_text(cara[0])

    # No reload, and well before the console's 30 s clock: the page is told of each change.
    customer.say("my router light is red")
    expect(page.locator("#detail .transcript")).to_contain_text("my router light is red", timeout=10_000)
    newcomer = new_customer()
    assert newcomer.say("I need to talk to a real person")["status"] == "queued"
    arrived = queued_escalation(api, cara, newcomer.id)
    expect(page.locator("#queued .item").filter(has_text=f"#{arrived['id']} ")).to_be_visible(timeout=10_000)

    page.get_by_label("Add a note").fill("Checked the line: fault on the street cabinet.")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#detail .notes")).to_contain_text("fault on the street cabinet")
    assert all("street cabinet" not in m["text"] for m in customer.transcript()["messages"])
    page.screenshot(path=str(page.artifacts / "console-conversation.png"))

    page.get_by_role("button", name="Resolve…").click()
    page.get_by_role("dialog").get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator("#detail .title")).to_contain_text("closed")
    assert customer.transcript()["status"] == "bot"
    assert "How would you rate" in customer.transcript()["messages"][-1]["text"]
    assert page.dialogs == []


def test_no_payload_runs_in_the_console(page, stack_settings, api, customer, cara, xss_payloads):
    url = stack_settings.web_url
    customer.say("I need to talk to a real person")
    for payload in xss_payloads:
        customer.say(payload)   # queued: stored for the agent, never sent to the bot
    sign_in(page, url, "/console", cara)
    mine = queued_escalation(api, cara, customer.id)
    entry = page.locator("#queued .item").filter(has_text=f"#{mine['id']} ")
    entry.get_by_role("button").click()
    for payload in xss_payloads[:8]:
        page.get_by_label("Add a note").fill(payload)
        page.get_by_role("button", name="Save note").click()
    expect(page.locator("#detail .notes li")).to_have_count(8)
    expect(page.locator("#detail .transcript .message.customer")).to_have_count(len(xss_payloads) + 1)
    page.screenshot(path=str(page.artifacts / "console-xss.png"))
    assert page.locator("#detail .transcript .message.customer p").nth(2).text_content() == xss_payloads[1]
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []


def test_reasons_and_evidence_read_as_words(page, stack_settings, api, customer, cara):
    customer.say("I need to talk to a real person")
    mine = queued_escalation(api, cara, customer.id)
    sign_in(page, stack_settings.web_url, "/console", cara)
    page.locator("#queued .item").filter(has_text=f"#{mine['id']} ").get_by_role("button").click()
    expect(page.locator("#detail .reasons")).to_have_text("Asked for a person")
    expect(page.locator("#detail .evidence")).to_contain_text("asking for a person")
    expect(page.locator("#detail .evidence")).to_contain_text(re.compile(r"\d+ % sure"))
    shown = page.locator("body").inner_text()
    for internal in ("explicit_request", "request_human", "confidence:", "intent:", "{", "_"):
        assert internal not in shown, f"{internal!r} shown to the agent"


def test_transcript_follows_the_newest_message_unless_scrolled_up(page, stack_settings, api, customer, cara):
    customer.say("I need to talk to a real person")
    for n in range(30):
        customer.say(f"detail number {n}")
    mine = queued_escalation(api, cara, customer.id)
    sign_in(page, stack_settings.web_url, "/console", cara)
    page.locator("#queued .item").filter(has_text=f"#{mine['id']} ").get_by_role("button").click()
    transcript = page.locator("#detail .transcript")
    expect(transcript.locator(".message").last).to_contain_text("detail number 29")
    expect_inside(page, transcript.locator(".message").last, transcript)      # opened at the newest

    customer.say("one more thing")                                             # at the bottom: follows
    expect(transcript.locator(".message").last).to_contain_text("one more thing", timeout=10_000)
    expect_inside(page, transcript.locator(".message").last, transcript)

    transcript.evaluate("box => { box.scrollTop = 0; }")                      # the agent reads back
    customer.say("are you still there?")
    pill = page.get_by_role("button", name="New messages below")
    expect(pill).to_be_visible(timeout=10_000)
    assert transcript.evaluate("box => box.scrollTop") == 0                  # their place is kept
    pill.click()
    expect_inside(page, transcript.locator(".message").last, transcript)
    expect(pill).to_be_hidden()


def test_a_queue_re_read_keeps_the_keyboard_users_place(page, stack_settings, api, customer, new_customer, cara):
    customer.say("I need to talk to a real person")
    mine = queued_escalation(api, cara, customer.id)
    sign_in(page, stack_settings.web_url, "/console", cara)
    button = page.locator("#queued .item").filter(has_text=f"#{mine['id']} ").get_by_role("button")
    button.focus()
    newcomer = new_customer()                                   # the queue is rebuilt under the agent
    newcomer.say("I need to talk to a real person")
    arrived = queued_escalation(api, cara, newcomer.id)
    expect(page.locator("#queued .item").filter(has_text=f"#{arrived['id']} ")).to_be_visible(timeout=10_000)
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#detail .title")).to_contain_text(f"Escalation #{mine['id']} · queued")


def test_canned_search_placeholders_and_keyboard_only(page, stack_settings, api, customer, cara):
    token = api.post("/api/auth/login", json={"username": cara[0], "password": cara[1]}).json()["token"]
    api.post("/api/canned-responses", headers={"Authorization": f"Bearer {token}"},
             json={"title": f"Still waiting {cara[0]}",
                   "body": "Hi {customer_name}, thanks for waiting {wait}. Your ticket is {ticket}."})
    customer.say("I need to talk to a real person")
    mine = queued_escalation(api, cara, customer.id)
    sign_in(page, stack_settings.web_url, "/console", cara)
    page.locator("#queued .item").filter(has_text=f"#{mine['id']} ").get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail .title")).to_contain_text("queued")
    page.keyboard.press("Alt+C")                                              # claim
    expect(page.locator("#detail .title")).to_contain_text("claimed")

    page.keyboard.press("Alt+K")                                              # find a canned response
    expect(page.get_by_label("Find a canned response")).to_be_focused()
    page.keyboard.type(f"waiting {cara[0]}")
    options = page.get_by_label("Canned response", exact=True).locator("option")
    expect(options).to_have_count(2)                                          # the prompt and the match
    page.get_by_label("Canned response", exact=True).select_option(label=f"Still waiting {cara[0]}")
    reply = page.get_by_label("Reply to the customer")
    expect(reply).to_be_focused()
    # The name is not known: it is left out, never shown raw; the unknown {ticket} is for the agent.
    expect(reply).to_have_value("Hi, thanks for waiting less than a minute. Your ticket is {ticket}.")
    assert reply.evaluate("box => box.value.slice(box.selectionStart, box.selectionEnd)") == "{ticket}"

    page.keyboard.press("Control+Enter")                                      # a placeholder is left
    expect(page.locator("#detail .error")).to_contain_text("placeholder")
    assert all("{ticket}" not in m["text"] for m in customer.transcript()["messages"])
    reply.evaluate("box => { const at = box.value.indexOf('{'); box.setSelectionRange(at, at + 8); }")
    page.keyboard.type("T-42")
    page.keyboard.press("Control+Enter")                                      # send
    expect(page.locator("#detail .transcript .message.agent")).to_contain_text(
        "Hi, thanks for waiting less than a minute. Your ticket is T-42.")
    expect(reply).to_have_value("")

    page.keyboard.press("Alt+R")                                              # resolve, in a dialog
    dialog = page.get_by_role("dialog", name="Resolve this conversation")
    expect(dialog).to_be_visible()
    page.get_by_label("Close the conversation").check()
    page.get_by_label("Resolution (saved as an internal note)").fill("Explained the waiting time.")
    dialog.get_by_role("button", name="Resolve", exact=True).press("Enter")
    expect(page.locator("#detail .title")).to_contain_text("closed")
    expect(page.locator("#detail .notes")).to_contain_text("Resolution: Explained the waiting time.")
    assert customer.transcript()["status"] == "closed"
    assert page.dialogs == []


def test_presence_unclaim_and_transfer_with_a_note(page, stack_settings, api, customer, cara, new_staff):
    dev = new_staff("dev", "agent")
    dev_token = api.post("/api/auth/login", json={"username": dev[0], "password": dev[1]}).json()["token"]
    assert api.put("/api/agents/me/presence", json={"status": "online"},
                   headers={"Authorization": f"Bearer {dev_token}"}).status_code == 200
    customer.say("I need to talk to a real person")
    mine = queued_escalation(api, cara, customer.id)
    sign_in(page, stack_settings.web_url, "/console", cara)
    # The select shows "away" at once; the server has it only when the console's PUT comes back.
    with page.expect_response(lambda r: r.url.endswith("/api/agents/me/presence")
                              and r.request.method == "PUT") as presence:
        page.get_by_label("My status").select_option("away")
    assert presence.value.ok
    expect(page.get_by_label("My status")).to_have_value("away")
    token = api.post("/api/auth/login", json={"username": cara[0], "password": cara[1]}).json()["token"]
    [me] = [a for a in api.get("/api/agents", headers={"Authorization": f"Bearer {token}"}).json()
            if a["username"] == cara[0]]
    assert me["chosen"] == "away"

    page.locator("#queued .item").filter(has_text=f"#{mine['id']} ").get_by_role("button").click()
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#detail .title")).to_contain_text("claimed")
    page.get_by_role("button", name="Back to the queue").click()
    expect(page.locator("#detail .title")).to_contain_text("queued")
    expect(page.locator("#detail .timeline")).to_contain_text(f"{cara[0]} put it back in the queue")

    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#detail .title")).to_contain_text("claimed")
    transfer = page.get_by_role("button", name="Transfer…")
    transfer.click()
    dialog = page.get_by_role("dialog", name="Transfer this conversation")
    expect(dialog).to_be_visible()
    page.get_by_label("To a person (optional)").select_option(dev[0])
    dialog.get_by_role("button", name="Transfer", exact=True).click()
    expect(dialog).to_be_visible()                                     # a note is required: nothing sent
    page.get_by_label("Note for whoever takes it next").fill("Router swapped; check the line tomorrow.")
    dialog.get_by_role("button", name="Transfer", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#detail .meta")).to_contain_text(f"held by {dev[0]}")
    expect(page.locator("#detail .timeline")).to_contain_text(f"transferred it to {dev[0]}")
    expect(page.locator("#detail .notes")).to_contain_text("Router swapped")
    expect(transfer).to_be_focused()                                   # focus back where it was
    held = api.get(f"/api/escalations/{mine['id']}", headers={"Authorization": f"Bearer {dev_token}"}).json()
    assert held["claimed_by"] == dev[0]

"""The agent console in a real browser: sign in, take a conversation, answer, note, hand back."""


import pytest
from browser_helpers import sign_in
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
    expect(entry).to_contain_text("explicit_request")
    entry.get_by_role("button").click()
    expect(page.locator("#detail .title")).to_contain_text(f"Escalation #{mine['id']} · queued")
    expect(page.locator("#detail .transcript")).to_contain_text("I need to talk to a real person")

    # Without the page's CSRF header, the session cookie alone cannot act.
    forged = page.request.post(f"{url}/api/escalations/{mine['id']}/claim")
    assert forged.status == 403 and "CSRF" in forged.json()["detail"]

    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#detail .title")).to_contain_text("claimed")
    expect(page.locator("#mine .item").filter(has_text=f"#{mine['id']} ")).to_be_visible()
    page.get_by_label("Canned response").select_option(label="Greeting")
    reply = page.get_by_label("Reply to the customer")
    expect(reply).to_have_value("Hi, I'm here to help. I've read your conversation with our assistant so far.")
    reply.fill(reply.input_value() + " Let's sort this out.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#detail .transcript .message.agent")).to_contain_text("Let's sort this out.")
    assert customer.transcript()["messages"][-1]["text"].endswith("Let's sort this out.")

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

    page.get_by_role("button", name="Resolve: back to the bot").click()
    expect(page.locator("#detail .title")).to_contain_text("closed")
    assert customer.transcript()["status"] == "bot"
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

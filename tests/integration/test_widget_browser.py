"""The chat widget in a real browser (Debian Chromium) against the real stack."""

import re

import pytest
from browser_helpers import conversation_id, open_chat, say, shot
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def escalation_for(api, agents, conversation: str) -> dict:
    queued = api.get("/api/escalations", params={"status": "queued"}, headers=agents["ana"]).json()
    [mine] = [e for e in queued if e["conversation_id"] == conversation]
    return mine


def test_cited_answer_handoff_live_agent_reply_and_rating(page, stack_settings, api, agents):
    url = stack_settings.web_url
    open_chat(page, url)
    say(page, "how much does installation cost?")
    answer = page.locator(".message.bot").filter(has=page.locator(".source")).first
    expect(answer).to_be_visible(timeout=30_000)
    expect(answer.locator(".source a")).to_have_attribute("href", re.compile(r"^https?://"))
    expect(answer.get_by_role("button", name="Yes, that helped")).to_be_visible()
    shot(page, "widget-answer")

    page.get_by_role("button", name="Talk to a person").last.click()
    expect(page.get_by_role("status")).to_contain_text("in the queue", timeout=30_000)
    shot(page, "widget-queued")
    conversation = conversation_id(page)
    escalation = escalation_for(api, agents, conversation)
    assert api.post(f"/api/escalations/{escalation['id']}/claim", headers=agents["ana"]).status_code == 200
    expect(page.get_by_role("status")).to_contain_text("chatting with a person", timeout=15_000)
    api.post(f"/api/escalations/{escalation['id']}/messages", headers=agents["ana"],
             json={"text": "Hi, I'm Ana. Installation is free on a 12-month contract."})
    expect(page.locator(".message.agent")).to_contain_text("I'm Ana", timeout=15_000)  # live, no reload
    say(page, "great, thank you")
    expect(page.locator(".message.customer").last).to_have_text(re.compile("great, thank you"))
    shot(page, "widget-agent")

    page.reload()  # the conversation survives a reload
    expect(page.locator(".message.agent")).to_contain_text("I'm Ana", timeout=15_000)
    expect(page.locator(".message.customer")).to_have_count(3)

    api.post(f"/api/escalations/{escalation['id']}/resolve", headers=agents["ana"], json={"return_to_bot": True})
    prompt = page.locator(".message.bot").filter(has_text="How would you rate")
    expect(prompt).to_be_visible(timeout=15_000)
    prompt.get_by_role("button", name="5").click()
    expect(page.locator(".message.bot").last).to_contain_text("5 out of 5", timeout=30_000)
    shot(page, "widget-rated")
    assert page.dialogs == []


def test_no_payload_runs_in_the_widget(page, stack_settings, api, agents, xss_payloads):
    open_chat(page, stack_settings.web_url)
    say(page, "I want to talk to a person")
    expect(page.get_by_role("status")).to_contain_text("queue", timeout=30_000)
    escalation = escalation_for(api, agents, conversation_id(page))
    api.post(f"/api/escalations/{escalation['id']}/claim", headers=agents["ana"])
    expect(page.get_by_role("status")).to_contain_text("chatting with a person", timeout=15_000)
    for payload in xss_payloads:
        say(page, payload)
        sent = api.post(f"/api/escalations/{escalation['id']}/messages", headers=agents["ana"], json={"text": payload})
        assert sent.status_code == 200, sent.text
    expect(page.locator(".message.agent")).to_have_count(len(xss_payloads), timeout=30_000)
    page.reload()  # and again through the transcript path
    expect(page.locator(".message.agent")).to_have_count(len(xss_payloads), timeout=15_000)
    shot(page, "widget-xss")
    # Shown as text, exactly as typed: escaped, not stripped.
    assert page.locator(".message.agent p").nth(1).text_content() == xss_payloads[1]
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []


def test_every_page_has_a_strict_content_security_policy(api):
    for path in ("/demo", "/static/widget.js", "/healthz"):
        policy = api.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy and "'unsafe-inline'" not in policy

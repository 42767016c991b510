"""The chat widget in a real browser (Debian Chromium) against the real stack."""

import json
import re
from pathlib import Path

import pytest
from browser_helpers import axe_violations, conversation_id, expect_inside, open_chat, say, shot
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
    expect(page.locator(".message.agent .name")).to_have_text(re.compile(r"^ana-\w+$"))  # who is writing
    expect(page.get_by_label("Your message")).to_be_focused()  # a reply arriving leaves focus where it was
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


# Structured answers (issue 14). A real browser runs the real widget served by the stack, but the
# reply to POST …/messages (and, where said, the transcript GET) is FAKED with page.route: these
# tests pin down how the widget renders the `details` contract, whatever the server sends today.

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MESSAGES = re.compile(r"/api/conversations/[^/?]+/messages$")
TRANSCRIPT = re.compile(r"/api/conversations/[^/?]+$")
# Every element the widget itself builds; anything else in its shadow root was injected.
WIDGET_TAGS = {"LINK", "BUTTON", "SECTION", "HEADER", "H2", "H3", "DIV", "OL", "UL", "LI", "SPAN", "P", "A", "FORM",
               "LABEL", "TEXTAREA", "TABLE", "CAPTION", "THEAD", "TBODY", "TR", "TH", "TD"}


@pytest.fixture
def open_page(browser, stack):
    """Opens pages whose Content Security Policy is bypassed, so an injected script would really run."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.artifacts = ARTIFACTS
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        return page

    yield make
    for context in contexts:
        context.close()


def bot(text: str, **fields) -> dict:
    return {"sender": "bot", "text": text, "sources": [], "buttons": [], **fields}


def fake_replies(page, *replies: list[dict]) -> list[str]:
    """Answer the widget's next message POSTs with ``replies`` in turn; returns the texts it sent."""
    sent, queue, seq = [], list(replies), iter(range(1, 1000))

    def handle(route):
        if route.request.method != "POST":
            return route.continue_()
        sent.append(json.loads(route.request.post_data)["text"])
        next(seq)  # the customer's message
        messages = [{**message, "seq": next(seq)} for message in queue.pop(0)]
        route.fulfill(json={"messages": messages, "status": "bot"})

    page.route(MESSAGES, handle)
    return sent


def fake_transcript(page, messages: list[dict]) -> None:
    numbered = [{**message, "seq": i, "created_at": "2026-01-05T10:00:00Z"} for i, message in enumerate(messages, 1)]
    page.route(TRANSCRIPT, lambda route: route.fulfill(json={"id": "x", "status": "bot", "messages": numbered})
               if route.request.method == "GET" else route.continue_())


def assert_nothing_ran(page) -> None:
    page.wait_for_timeout(300)  # an injected <img onerror> would have failed to load by now
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    built = page.evaluate("[...document.querySelector('#candor-widget').shadowRoot.querySelectorAll('*')]"
                          ".map(e => [e.tagName, e.getAttributeNames(), e.getAttribute('href') || ''])")
    assert [tag for tag, _, _ in built if tag not in WIDGET_TAGS] == []
    assert [names for _, names, _ in built if any(n.startswith("on") for n in names)] == []
    assert [href for _, _, href in built if href and not href.startswith(("http://", "https://"))] == []


def test_cost_breakdown_is_a_table_and_no_payload_runs(open_page, stack_settings, xss_payloads):
    """Faked server reply (page.route), real widget: a cost table with script in every field, shown as text."""
    page, p = open_page(), xss_payloads
    costs = [{"item": p[1], "amount": p[0], "note": p[10]},
             {"item": "Engineer visit", "amount": "£95.00", "note": "Two hours on site; free on 12 months"}]
    fake_replies(page, [bot(f"Installation is free on a 12-month contract. {p[2]}", details={"cost_breakdown": costs},
                            sources=[{"article_id": "install", "title": p[11], "url": "javascript:window.__xss=1"}],
                            buttons=[{"title": p[3], "payload": "/affirm"}])])
    open_chat(page, stack_settings.web_url)
    say(page, "how much is installation?")
    answer = page.locator(".message.bot").last
    table = answer.get_by_role("table", name="What it costs and why")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader")).to_have_text(["Item", "Amount", "Why"])
    assert table.locator("th[scope=row]").all_text_contents() == [p[1], "Engineer visit"]
    assert table.locator("tbody tr").first.locator("td").all_text_contents() == [p[0], p[10]]
    assert answer.locator("p").first.text_content() == f"Installation is free on a 12-month contract. {p[2]}"
    # The text first, the table under it, then the source and the buttons.
    assert answer.locator(":scope > *").evaluate_all("nodes => nodes.map(n => n.className)") == [
        "visually-hidden", "", "details", "source", "buttons"]
    assert answer.locator(".source").text_content() == f"Source: {p[11]}"
    assert answer.locator(".source a").count() == 0  # a javascript: URL is never a link
    assert answer.get_by_role("button").text_content() == p[3]
    shot(page, "widget-cost-table")
    assert_nothing_ran(page)
    assert axe_violations(page) == []


def test_fit_lists_and_the_whole_article_link_when_shortened(open_page, stack_settings, xss_payloads):
    """Faked server reply (page.route), real widget: 'Good for' / 'Probably not for' lists; a shortened answer."""
    page, p = open_page(), xss_payloads
    fit = {"good_for": ["Families streaming on several screens", p[4], p[12]],
           "poor_for": [p[5], "One person who only browses"], "shortened": True}
    fake_replies(page, [
        bot("Plus 500 suits most families.", details=fit,
            sources=[{"article_id": "plus-fit", "title": p[6], "url": "https://kestrel.example/kb/plus-500-fit"},
                     {"article_id": "plans", "title": "All plans", "url": "https://kestrel.example/kb/plans"}]),
        bot("Anything else?", details={}, sources=[{"article_id": "plans", "title": "All plans",
                                                    "url": "https://kestrel.example/kb/plans"}]),
        {"sender": "bot", "text": "An older server sends no details at all."},
    ])
    open_chat(page, stack_settings.web_url)
    say(page, "is plus 500 right for me?")
    expect(page.locator(".message.bot").last).to_contain_text("no details at all")
    answer = page.locator(".message.bot").nth(1)  # after the greeting
    expect(answer.get_by_role("heading", name="Good for")).to_be_visible()
    expect(answer.get_by_role("heading", name="Probably not for")).to_be_visible()
    assert answer.locator("ul.good li").all_text_contents() == fit["good_for"]
    assert answer.locator("ul.poor li").all_text_contents() == fit["poor_for"]
    whole, other = answer.locator(".source").all()
    assert whole.text_content() == f"Read the whole article: {p[6]}"
    expect(whole.get_by_role("link")).to_have_attribute("href", "https://kestrel.example/kb/plus-500-fit")
    assert other.text_content() == "Source: All plans"
    # details {} or absent: just the text and the usual source line.
    assert page.locator(".details").count() == 1
    assert page.locator(".message.bot").nth(2).locator(".source").text_content() == "Source: All plans"
    shot(page, "widget-fit-lists")
    assert_nothing_ran(page)
    assert axe_violations(page) == []


def test_comparison_is_a_table_with_header_scopes(open_page, stack_settings, xss_payloads):
    """Faked server reply (page.route), real widget: two options side by side, script in every cell."""
    page, p = open_page(), xss_payloads
    comparison = {"columns": ["", p[7], "Max 900"],
                  "rows": [["Price (12-month)", "£36", p[8]], [p[9], p[13], "900 Mb/s"], [p[27], "Yes", "Yes"]]}
    fake_replies(page, [bot("Plus 500 is enough for most homes; Max 900 is for big households.",
                            details={"comparison": comparison},
                            sources=[{"article_id": "plus-vs-max", "title": "Plus 500 or Max 900?",
                                      "url": "https://kestrel.example/kb/plus-vs-max"}])])
    open_chat(page, stack_settings.web_url)
    say(page, "plus 500 or max 900?")
    table = page.locator(".message.bot").last.get_by_role("table", name="Side by side")
    expect(table).to_be_visible()
    assert table.locator("thead th[scope=col]").all_text_contents() == [p[7], "Max 900"]
    assert table.locator("thead td").all_text_contents() == [""]  # the corner is no header
    assert table.locator("tbody th[scope=row]").all_text_contents() == ["Price (12-month)", p[9], p[27]]
    assert table.locator("tbody tr").nth(1).locator("td").all_text_contents() == [p[13], "900 Mb/s"]
    assert table.locator("tbody tr").first.locator("td").all_text_contents() == ["£36", p[8]]
    shot(page, "widget-comparison")
    assert_nothing_ran(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_newest_message_and_its_buttons_are_scrolled_into_view(open_page, stack_settings, viewport):
    """Faked server replies (page.route), real widget: long answers never leave their buttons out of sight."""
    page = open_page(*viewport)
    long_reply = [bot("Here is everything it costs, item by item, and why each part is there. " * 3,
                      details={"cost_breakdown": [{"item": f"Part {i}", "amount": f"£{i}.00",
                                                   "note": "A longer reason that wraps onto a second line"}
                                                  for i in range(1, 7)],
                               "good_for": ["Families", "Home workers"], "poor_for": ["Light users"],
                               "comparison": {"columns": ["", "Essential 150", "Plus 500", "Max 900"],
                                              "rows": [["Price (12-month)", "£28.00 a month", "£36.00 a month",
                                                        "£49.00 a month"]]}},
                      buttons=[{"title": "Yes, that helped", "payload": "/affirm"},
                               {"title": "No", "payload": "/deny"}, {"title": "Talk to a person", "payload": "/r"}])]
    fake_replies(page, long_reply, long_reply, long_reply)
    open_chat(page, stack_settings.web_url)
    log = page.get_by_role("log", name="Conversation")
    for turn in range(1, 4):
        say(page, f"what does it cost, part {turn}?")
        expect(page.locator(".message.bot .details")).to_have_count(turn)
        last = page.locator(".message.bot").last
        expect_inside(page, last.get_by_role("button").last, log)
        expect_inside(page, last.get_by_role("button").first, log)
    assert log.evaluate("log => log.scrollHeight > log.clientHeight")  # it did have to scroll
    assert log.evaluate("log => log.scrollWidth <= log.clientWidth")  # and never sideways
    for wrap in page.locator(".table-wrap").all():  # a table wider than its bubble scrolls in its own box
        assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth || w.tabIndex === 0")
    panel = page.get_by_role("dialog").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= viewport[0] + 1
    assert panel["y"] >= 0 and panel["y"] + panel["height"] <= viewport[1] + 1
    shot(page, f"widget-scrolled-{viewport[0]}")
    assert axe_violations(page) == []


def test_answered_buttons_are_spent_and_clicks_show_titles(open_page, stack_settings):
    """Faked server replies and transcript (page.route), real widget: earlier buttons stop working once answered."""
    page = open_page()
    plans = [{"title": "Plus 500", "payload": '/choose{"plan": "plus-500"}'},
             {"title": "Max 900", "payload": '/choose{"plan": "max-900"}'}]
    helpful = [{"title": "Yes, that helped", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    sent = fake_replies(page, [bot("Plus 500 costs £36 a month.", buttons=helpful)],
                        [bot("Sorry about that. Which plan?", buttons=plans)], [bot("No problem.")])
    open_chat(page, stack_settings.web_url)
    say(page, "which plan should I pick?")
    first = page.locator(".message.bot").nth(1)  # after the greeting
    expect(first.get_by_role("button", name="No")).to_be_enabled()
    first.get_by_role("button", name="No").focus()
    page.keyboard.press("Enter")  # keyboard works, and focus moves on to typing
    expect(page.locator(".message.customer p").last).to_have_text("No")
    expect(page.get_by_label("Your message")).to_be_focused()
    for button in first.get_by_role("button").all():
        expect(button).to_be_disabled()
    second = page.locator(".message.bot").nth(2)
    expect(second).to_contain_text("Which plan?")
    expect(second.get_by_role("button", name="Max 900")).to_be_enabled()
    say(page, "actually, never mind")  # typing past the buttons answers them too
    expect(page.locator(".message.bot").last).to_contain_text("No problem.")
    for button in second.get_by_role("button").all():
        expect(button).to_be_disabled()
    assert sent == ["which plan should I pick?", "/deny", "actually, never mind"]

    # After a reload the transcript shows titles whether the server stored the payload or the title.
    fake_transcript(page, [
        {"sender": "customer", "text": "which plan should I pick?"},
        bot("Plus 500 costs £36 a month.", buttons=helpful),
        {"sender": "customer", "text": "/deny"},
        bot("Sorry about that. Which plan?", buttons=plans),
        {"sender": "customer", "text": "Plus 500"},
        bot("Good choice. Was this helpful?", buttons=helpful),
        {"sender": "customer", "text": '/choose{"plan": "max-900"}'},
        bot("Max 900 it is. Anything else?", buttons=plans),
    ])
    page.reload()
    expect(page.locator(".message.bot")).to_have_count(4)
    assert page.locator(".message.customer p").all_text_contents() == [
        "which plan should I pick?", "No", "Plus 500", "Max 900"]
    rows = page.locator(".message.bot .buttons")
    for row in range(3):
        for button in rows.nth(row).get_by_role("button").all():
            expect(button).to_be_disabled()
    for button in rows.nth(3).get_by_role("button").all():
        expect(button).to_be_enabled()
    expect_inside(page, rows.nth(3), page.get_by_role("log", name="Conversation"))
    shot(page, "widget-spent-buttons")
    assert axe_violations(page) == []

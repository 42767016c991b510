"""The knowledge editor in a real browser: write, preview, test, publish — and the widget answers from it."""

import secrets

import pytest
from browser_helpers import open_chat, say, shot, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def edna(new_staff) -> tuple[str, str]:
    return new_staff("edna", "editor")


def test_an_editor_publishes_and_the_widget_answers_from_it(page, browser, stack_settings, edna):
    url = stack_settings.web_url
    aid = f"student-discount-{secrets.token_hex(2)}"
    question = "Is there a Kestrel discount for university students?"
    sign_in(page, url, "/editor", edna)
    expect(page.locator("#articles .item").first).to_be_visible()   # the sample knowledge base

    page.get_by_role("button", name="New article", exact=True).click()
    page.get_by_label("Id", exact=True).fill(aid)
    page.get_by_label("Kind", exact=True).select_option("policy")
    page.get_by_label("Title", exact=True).fill("Do students get a discount?")
    page.get_by_label("Tags (comma-separated)").fill("discounts, students")
    page.get_by_label("Questions it answers (one per line)").fill(f"{question}\ndo you have a student discount")
    page.get_by_label("Body (markdown)").fill(
        "Yes. **Students** get 20% off any plan for up to 4 years, and the discount never expires early.\n\n"
        "- Show a valid student card when you order\n- The discount starts on your first bill")
    expect(page.locator(".preview strong")).to_have_text("Students")   # rendered markdown
    expect(page.locator(".preview li")).to_have_count(2)
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#article .state")).to_contain_text("Version 1 · draft")

    page.get_by_label("What would the bot answer now").fill(question)
    page.get_by_role("button", name="Test", exact=True).click()
    verdict = page.locator("#try-result .verdict")
    expect(verdict).to_be_visible(timeout=60_000)   # the web app loads the search model on first use
    expect(verdict).not_to_contain_text("Do students get a discount?")   # a draft answers nobody

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#article .state")).to_contain_text("published")
    page.get_by_role("button", name="Test", exact=True).click()
    expect(verdict).to_contain_text("Would answer from “Do students get a discount?”", timeout=30_000)
    shot(page, "editor-published")

    customer = browser.new_context(viewport={"width": 420, "height": 800}).new_page()
    open_chat(customer, url)
    say(customer, question)
    answer = customer.locator(".message.bot").filter(has=customer.locator(".source")).first
    expect(answer).to_contain_text("20% off", timeout=30_000)
    expect(answer.locator(".source a")).to_have_text("Do students get a discount?")
    customer.context.close()

    # An edit waits as a draft; the history shows what changed and can bring the old text back.
    body = page.get_by_label("Body (markdown)")
    body.fill(body.input_value().replace("never expires early", "ends when you graduate"))
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#article .state")).to_contain_text("unpublished changes")
    latest = page.locator("#article .versions li").first
    expect(latest).to_contain_text("v3 · draft saved")
    latest.get_by_role("button", name="Diff").click()
    expect(latest.locator(".diff .add")).to_contain_text("ends when you graduate")
    expect(latest.locator(".diff .del")).to_contain_text("never expires early")
    page.locator("#article .versions li").filter(has_text="v2 · published").get_by_role(
        "button", name="Restore as draft").click()
    expect(page.locator("#article .versions li").first).to_contain_text("v4 · restored version 2")
    expect(page.get_by_label("Body (markdown)")).to_have_value(
        "Yes. **Students** get 20% off any plan for up to 4 years, and the discount never expires early.\n\n"
        "- Show a valid student card when you order\n- The discount starts on your first bill")
    shot(page, "editor-history")
    assert page.dialogs == []


def test_no_payload_runs_in_the_editor_or_the_widget(page, browser, stack_settings, api, agents, edna, xss_payloads):
    url = stack_settings.web_url
    tag = f"xss{secrets.token_hex(2)}"
    for number, payload in enumerate(xss_payloads):
        made = api.post("/api/articles", headers=agents["eve"], json={
            "id": f"{tag}-{number}", "title": payload, "kind": "howto", "tags": [tag],
            "body": f"Payload {number}: {payload}\n\n**bold** {payload}"})
        assert made.status_code == 201, made.text
    everything = "\n\n".join(xss_payloads)
    api.post("/api/articles", headers=agents["eve"], json={
        "id": f"{tag}-all", "title": "What does the zebra xylophone policy say?", "kind": "policy", "tags": [tag],
        "questions": ["what does the zebra xylophone policy say"], "body": everything})
    assert api.post(f"/api/articles/{tag}-all/publish", headers=agents["eve"]).status_code == 200

    sign_in(page, url, "/editor", edna)
    page.get_by_label("Filter by tag").fill(tag)
    items = page.locator("#articles .item")
    expect(items).to_have_count(len(xss_payloads) + 1)
    listed = api.get("/api/articles", params={"tag": tag}, headers=agents["eve"]).json()
    for position, article in enumerate(listed):   # titles in the list, bodies in the preview
        items.nth(position).get_by_role("button").click()
        expect(page.get_by_label("Id", exact=True)).to_have_value(article["id"])
        number = article["id"].rsplit("-", 1)[1]
        expect(page.locator(".preview")).to_contain_text("Payload " + number if number != "all" else "window")
    page.get_by_label("What would the bot answer now").fill(xss_payloads[0])
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.locator("#try-result .verdict")).to_be_visible(timeout=60_000)
    shot(page, "editor-xss")
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []

    customer = browser.new_context().new_page()
    customer.dialogs = []
    customer.on("dialog", lambda dialog: (customer.dialogs.append(dialog.message), dialog.dismiss()))
    open_chat(customer, url)
    say(customer, "what does the zebra xylophone policy say")
    answer = customer.locator(".message.bot").filter(has=customer.locator(".source")).first
    # The bot quotes articles as plain text (markdown flattened): the tag shows as characters.
    expect(answer).to_contain_text("<script", timeout=30_000)
    assert customer.evaluate("window.__xss") is None and customer.dialogs == []
    customer.context.close()

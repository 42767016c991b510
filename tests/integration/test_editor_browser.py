"""The knowledge editor in a real browser: write, preview, test, publish — and the widget answers from it."""

import json
import secrets

import pytest
from browser_helpers import axe_violations, open_chat, say, shot, sign_in
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


MONEY_HELP = "Amount must be money in pounds, e.g. £12.50, £60 or £5 a month."


def test_an_editor_edits_a_cost_breakdown_and_who_a_plan_suits(page, stack_settings, api, agents, edna):
    url = stack_settings.web_url
    tag = f"details{secrets.token_hex(2)}"
    rows = [{"item": "Engineer visit", "amount": "£60.00", "note": "Two hours fitting the line"},
            {"item": "Hub router", "amount": "£0.00", "note": "Included with every plan"}]
    criteria = {"household_min": 3, "household_max": 5, "uses": ["everyday", "gaming"], "monthly_price": 36.0}
    for article in (
        {"id": f"{tag}-cost", "title": "What does installation cost?", "kind": "cost", "cost_breakdown": rows},
        {"id": f"{tag}-fit", "title": "Who is Plus for?", "kind": "fit",
         "fit": {"good_for": ["Families"], "poor_for": ["People living alone"], "criteria": criteria}},
    ):
        made = api.post("/api/articles", headers=agents["eve"], json={**article, "body": "See below.", "tags": [tag]})
        assert made.status_code == 201, made.text

    sign_in(page, url, "/editor", edna)
    page.get_by_label("Filter by tag").fill(tag)
    expect(page.locator("#articles .item")).to_have_count(2)
    page.locator("#articles .item").filter(has_text="What does installation cost?").get_by_role("button").click()
    breakdown = page.get_by_role("group", name="Cost breakdown")
    expect(breakdown).to_be_visible()
    expect(page.get_by_role("group", name="Who it suits")).to_be_hidden()
    first = page.locator(".cost-rows > li").first

    # The browser checks an amount as the server does, and says so beside the field.
    first.get_by_label("Amount").fill("sixty pounds")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#article .error")).to_have_text("Not saved: see the messages next to the fields.")
    expect(first.locator(".amount .field-error")).to_have_text(MONEY_HELP)
    expect(first.get_by_label("Amount")).to_be_focused()
    expect(first.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page, "#article") == []
    first.get_by_label("Amount").fill("£65.00")

    # Keyboard only: add a row, fill it, move it to the top; focus stays with the row that moved.
    page.get_by_role("button", name="Add a row").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".cost-rows > li").nth(2).get_by_label("Item")).to_be_focused()
    for text in ("Wi-Fi booster", "£5 a month", "Only if your home needs one"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    for position in (3, 2):
        page.get_by_role("button", name=f"Move row {position} up").focus()
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move row 1 down")).to_be_focused()
    table = page.get_by_role("table", name="What it costs and why")   # the customer's view
    expect(table.locator("tbody tr")).to_have_text([
        "Wi-Fi booster£5 a monthOnly if your home needs one", "Engineer visit£65.00Two hours fitting the line",
        "Hub router£0.00Included with every plan"])

    # A refusal only the server knows of lands beside its field too (the request is altered on its way).
    def spoil(route):
        body = json.loads(route.request.post_data)
        body["cost_breakdown"][1]["amount"] = "65"
        route.continue_(post_data=json.dumps(body))

    page.route(f"**/api/articles/{tag}-cost", lambda route: spoil(route) if route.request.method == "PUT"
               else route.continue_())
    page.get_by_role("button", name="Save draft", exact=True).click()
    second = page.locator(".cost-rows > li").nth(1)
    expect(second.locator(".amount .field-error")).to_have_text(MONEY_HELP)
    expect(page.locator("#article .error")).to_have_text("Not saved: see the messages next to the fields.")
    expect(page.locator("#article .state")).to_contain_text("Version 1")
    page.unroute(f"**/api/articles/{tag}-cost")

    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#article .state")).to_contain_text("Version 2 · draft")
    latest = page.locator("#article .versions li").first
    latest.get_by_role("button", name="Diff").click()
    expect(latest.locator(".diff .add").filter(has_text="cost: Wi-Fi booster")).to_have_text(
        "+cost: Wi-Fi booster · £5 a month · Only if your home needs one")
    assert axe_violations(page, "#article") == []
    shot(page, "editor-cost-breakdown")

    page.reload()
    page.get_by_label("Filter by tag").fill(tag)
    page.locator("#articles .item").filter(has_text="What does installation cost?").get_by_role("button").click()
    expect(page.locator(".cost-rows > li").first.get_by_label("Item")).to_have_value("Wi-Fi booster")
    expect(page.locator(".cost-rows > li").nth(1).get_by_label("Amount")).to_have_value("£65.00")
    expect(page.get_by_role("table", name="What it costs and why").locator("tbody tr")).to_have_count(3)

    # A fit article: who it is for, one per line; the plan questions' criteria stay as they were.
    page.locator("#articles .item").filter(has_text="Who is Plus for?").get_by_role("button").click()
    expect(page.get_by_role("group", name="Cost breakdown")).to_be_hidden()
    good = page.get_by_label("Good for (one per line)")
    good.fill("Families\n  Shared houses where everyone games in the evening  \n")
    expect(page.get_by_label("Largest household (people)")).to_have_value("5")
    expect(page.get_by_label("Gaming and big downloads")).to_be_checked()
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#article .state")).to_contain_text("Version 2 · draft")
    page.reload()
    page.get_by_label("Filter by tag").fill(tag)
    page.locator("#articles .item").filter(has_text="Who is Plus for?").get_by_role("button").click()
    expect(page.get_by_label("Good for (one per line)")).to_have_value(
        "Families\nShared houses where everyone games in the evening")
    preview = page.get_by_role("region", name="How customers see it")
    expect(preview.get_by_role("heading", name="Good for")).to_be_visible()
    expect(preview.locator("ul").first.locator("li")).to_have_text(
        ["Families", "Shared houses where everyone games in the evening"])
    expect(preview.locator("ul").nth(1).locator("li")).to_have_text(["People living alone"])
    assert axe_violations(page, "#article") == []
    shot(page, "editor-fit")
    saved = api.get(f"/api/articles/{tag}-fit", headers=agents["eve"]).json()["working"]["fit"]
    assert saved["criteria"] == criteria and saved["poor_for"] == ["People living alone"]
    shown = page.locator("#article form").inner_text()   # people's words, no field names
    assert not any(name in shown for name in ("cost_breakdown", "good_for", "poor_for", "household_", "monthly_price"))
    assert page.dialogs == []

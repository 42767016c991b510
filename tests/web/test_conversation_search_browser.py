"""The console's search of past conversations in Chromium, by keyboard: words, a filter, results with the
matches marked, "More results", an error in words; a customer's markup stays text; axe finds nothing
serious in any of these states.

The web app runs under uvicorn on loopback with Rasa down; transcripts are written through
`touchpoints.conversations.append`, the path every live message takes (so the index is the live one)."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from candor.db import session_scope
from routing import staff
from touchpoints import conversations
from touchpoints.customer_models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in found
            if v["impact"] in ("serious", "critical")]


def transcripts(tag: str, customer: str) -> None:
    """22 conversations with the word (one page of 20 and two more), the last one the customer's."""
    with session_scope() as session:
        session.add(Customer(id=customer, verified=True, attributes={}))
        session.flush()
        for n in range(22):
            conversation, _ = conversations.create(session)
            if n == 21:
                conversation.customer_id = customer
            conversations.append(session, conversation.id, "customer",
                                 f"{tag} <img src=x onerror=\"window.pwned=1\"> my router blinks red, number {n}")
            conversations.append(session, conversation.id, "bot", "Try turning it off and on again.")


def test_search_by_keyboard_with_more_results_a_filter_and_an_error(base_url, browser):
    tag, customer = f"qz{secrets.token_hex(4)}", f"c-search-{secrets.token_hex(4)}"
    transcripts(tag, customer)
    name = f"search-ui-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, "agent", [])
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base_url}/console")
        # The console sends a signed-out agent on to the sign-in page; its script must be there
        # before the form is used, or the click submits the bare form and the page reloads empty.
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.wait_for_load_state("load")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".who")).to_contain_text(name)

        opener = page.locator("#conversation-search summary").first
        opener.focus()
        page.keyboard.press("Enter")                       # opens the panel
        box = page.get_by_label("Words in the conversation")
        expect(box).to_be_visible()
        assert serious(page) == []                          # open, empty
        box.focus()
        page.keyboard.type(f"{tag} routers")
        page.keyboard.press("Enter")
        status = page.get_by_role("status").filter(has_text="found")
        expect(status).to_have_text("20 conversations found so far.")
        results = page.locator(".search-results li")
        expect(results).to_have_count(20)
        expect(results.first.locator("mark").first).to_have_text(tag)
        expect(results.first.locator("mark").nth(1)).to_have_text("router")
        # The customer's markup is shown as the words they typed, never run.
        expect(results.first.locator(".snippet")).to_contain_text("<img src=x")
        assert page.locator(".search-results img").count() == 0
        assert page.evaluate("window.pwned") is None
        assert serious(page) == []                          # a page of results

        more = page.get_by_role("button", name="More results")
        more.focus()
        page.keyboard.press("Enter")
        expect(status).to_have_text("22 conversations found.")
        expect(more).to_be_hidden()
        expect(results.nth(20)).to_be_focused()            # carries on from the first new result

        page.get_by_text("Filters").click()
        page.get_by_label("Customer id").fill(customer)
        box.focus()
        page.keyboard.press("Enter")
        expect(status).to_have_text("1 conversation found.")
        expect(results.first).to_contain_text(f"customer {customer}")
        assert serious(page) == []                          # filters open, one result

        box.fill("?!")
        page.keyboard.press("Enter")
        expect(page.locator("#conversation-search").get_by_role("alert")).to_have_text(
            "Type at least one word to search for (letters or digits).")
        assert serious(page) == []                          # the error
    finally:
        context.close()

"""The widget in Chromium keeps one visitor id per browser and sends it: a conversation started before
the site signs the customer in joins them once a signed conversation comes from the same browser.

The web app runs under uvicorn on loopback with Rasa down (no model needed to start a conversation)."""

import pytest
from sqlalchemy import select

from candor.db import session_scope
from conversations.customers import sign
from touchpoints.models import Conversation

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SECRET = "widget-test-secret-" + "y" * 16
CUSTOMER = "c-widget-42"


@pytest.fixture(scope="module")
def base_url(database):
    from test_live import serving

    from candor.settings import Settings
    from web.app import create_app

    with serving(create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", identity_secret=SECRET))) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh context (empty local storage) of the session's Chromium (tests/conftest.py)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def open_chat(page) -> str:
    """Open the widget and wait for its conversation; returns the conversation id."""
    with page.expect_response(lambda r: r.url.endswith("/api/conversations") and r.request.method == "POST") as made:
        page.locator("#candor-widget .launcher").click()
    assert made.value.status == 201, made.value.text()
    return made.value.json()["id"]


def test_the_widget_links_a_browsers_conversations_and_merges_them_at_sign_in(base_url, page):
    page.goto(f"{base_url}/demo")
    anonymous = open_chat(page)
    visitor = page.evaluate(f"localStorage.getItem('candor.visitor.{base_url}')")
    assert visitor and 16 <= len(visitor) <= 64

    # The site's page after sign-in: its server rendered the id and the signature into the tag.
    signed_page = f"{base_url}/demo-signed-in"
    page.route(signed_page, lambda route: route.fulfill(content_type="text/html", body=(
        "<!doctype html><html lang='en'><title>Signed in</title><body><main><h1>Account</h1></main>"
        f"<script src='/static/widget.js' data-customer-id='{CUSTOMER}' "
        f"data-customer-signature='{sign(SECRET, CUSTOMER)}'></script></body></html>")))
    page.evaluate(f"localStorage.removeItem('candor.conversation.{base_url}')")   # a new conversation
    page.goto(signed_page)
    signed = open_chat(page)

    assert page.evaluate(f"localStorage.getItem('candor.visitor.{base_url}')") == visitor   # kept
    with session_scope() as session:
        rows = {cid: customer for cid, customer in session.execute(
            select(Conversation.id, Conversation.customer_id).where(Conversation.visitor_id == visitor))}
    assert rows == {anonymous: CUSTOMER, signed: CUSTOMER}

"""The webhooks page in Chromium, by keyboard where a person would use it: add an endpoint (the secret
shown once), see a delivery reach a real receiver in the log, change the events in the dialog,
disable and delete; axe-core finds nothing serious in any of those states.

The web app runs under uvicorn on loopback with Rasa down (every customer message is escalated),
and its own sender loop delivers."""

import secrets

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from webhook_receiver import Receiver

from candor.db import session_scope
from routing import staff
from touchpoints.webhook_models import WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def base_url(database):
    from test_live import serving

    from candor.settings import Settings
    from web.app import create_app

    with serving(create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t"))) as url:
        yield url
    with session_scope() as session:   # the unit tests share this database
        for endpoint in session.scalars(select(WebhookEndpoint)):
            session.delete(endpoint)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())   # "Delete …?" and "Rotate …?" confirmations
    yield page
    context.close()


def serious_axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']]}"
            for v in found if v["impact"] in ("serious", "critical")]


def sign_in_as_admin(page, base_url: str) -> None:
    name = f"hooks-admin-{secrets.token_hex(3)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, "admin", [])
    page.goto(f"{base_url}/webhooks")
    expect(page).to_have_url(f"{base_url}/login?next=%2Fwebhooks")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/webhooks")


def test_the_webhooks_page(base_url, page):
    receiver = Receiver()
    try:
        sign_in_as_admin(page, base_url)
        expect(page.get_by_text("No endpoints yet: nothing is sent.")).to_be_visible()
        assert serious_axe_violations(page) == []                                   # empty

        form = page.locator("#add-endpoint")
        form.get_by_label("Address (URL)").fill("http://crm.example.com/hooks")
        form.get_by_label("What it is for").fill("CRM")
        form.get_by_label("Address (URL)").press("Enter")
        expect(page.locator("#add-error")).to_have_text("Choose at least one event to send.")
        form.get_by_label("A conversation is escalated to a person (escalation.created)").check()
        form.get_by_role("button", name="Add endpoint").click()
        expect(page.locator("#add-error")).to_contain_text("must use https://")   # the server's words
        assert serious_axe_violations(page) == []                                   # with its error shown

        form.get_by_label("Address (URL)").fill(receiver.url)
        form.get_by_label("A conversation is escalated to a person (escalation.created)").check()
        form.get_by_role("button", name="Add endpoint").click()
        expect(page.locator("#secret-title")).to_be_focused()
        receiver.secret = page.locator("#secret-value").text_content()
        assert receiver.secret.startswith("whsec_")
        assert serious_axe_violations(page) == []                                   # the secret, once
        page.get_by_role("button", name="I have copied it").click()
        expect(page.locator("#secret-panel")).to_be_hidden()
        expect(page.locator("#secret-value")).to_have_text("")

        made = httpx.post(f"{base_url}/api/conversations").json()
        httpx.post(f"{base_url}/api/conversations/{made['id']}/messages", json={"text": "my bill is wrong"},
                   headers={"Authorization": f"Bearer {made['token']}"}).raise_for_status()
        page.get_by_role("button", name=f"Deliveries to {receiver.url}").click()
        expect(page.locator("#log-title")).to_be_focused()
        log = page.locator("#deliveries tbody")
        for _ in range(30):   # the app's own sender posts within seconds
            if "Delivered" in (log.text_content() or ""):
                break
            page.get_by_role("button", name="Refresh").click()
            page.wait_for_timeout(500)
        expect(log.locator("tr").first).to_contain_text("Delivered")
        expect(log.locator("tr").first).to_contain_text("escalation.created")
        assert receiver.events("escalation.created", conversation_id=made["id"])
        assert serious_axe_violations(page) == []                                   # the delivery log

        page.get_by_role("button", name=f"Change {receiver.url}").click()
        dialog = page.get_by_role("dialog", name=f"Change {receiver.url}")
        expect(dialog).to_be_visible()
        assert serious_axe_violations(page) == []                                   # the dialog
        dialog.get_by_label("A conversation is closed by an agent (conversation.closed)").check()
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()
        expect(page.get_by_role("button", name=f"Change {receiver.url}")).to_be_focused()
        row = page.locator("#endpoints tbody tr").filter(has_text=receiver.url)
        expect(row).to_contain_text("conversation.closed, escalation.created")

        page.get_by_role("button", name=f"Disable {receiver.url}").click()
        expect(row).to_contain_text("Disabled")
        expect(page.locator("#endpoints-done")).to_contain_text("its deliveries wait until it is enabled")
        page.get_by_role("button", name=f"Rotate the secret of {receiver.url}").click()
        expect(page.locator("#secret-words")).to_contain_text("the old one still signs until")
        page.get_by_role("button", name="I have copied it").click()
        page.get_by_role("button", name=f"Delete {receiver.url}").click()
        expect(page.get_by_text("No endpoints yet: nothing is sent.")).to_be_visible()
        expect(page.locator("#log-panel")).to_be_hidden()
        assert serious_axe_violations(page) == []
    finally:
        receiver.stop()

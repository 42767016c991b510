"""The console's e-mail follow-ups and customer history in Chromium: each e-mail's state in words
(waiting to retry, sent, failed), the reply box (keyboard only, errors in words, the customer's name
filled), a claim over capacity refused in words, and the customer's earlier conversations beside
the live one; axe-core on each new state.

The web app runs under uvicorn on loopback with Rasa down (every message queues for a person, no
model needed); e-mail goes to a real SMTP server (aiosmtpd) on loopback, sent by the same
``smtp.deliver_due`` the app's loop runs, with the clock each step needs."""

import re
import secrets
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from test_mail import PASSWORD, free_port, plain

from candor.db import session_scope, utcnow
from conversations import smtp
from knowledge.models import Article
from routing import staff
from routing.models import CannedResponse, FollowUp
from touchpoints import log
from touchpoints.journey import load_journey
from touchpoints.scorer import rescore

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"   # ignored by git, as the stack tests'


@pytest.fixture(scope="module")
def desk(database):
    """The app, served, with a team of its own (its follow-up list holds only this test's)."""
    from test_live import serving

    from candor.settings import Settings
    from web.app import create_app

    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", rate_limit_ip="100000/minute",
                              rate_limit_conversation="100000/minute", rate_limit_login="100000/minute"))
    team = f"mail{secrets.token_hex(3)}"
    app.state.chat.router.config.default_team = team
    with serving(app) as url:
        yield url, team


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def serious_axe(page) -> list[str]:
    """axe-core's serious and critical findings on the whole page (the copy bundled with the test
    dependency, injected by the test: nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']]}"
            for v in found if v["impact"] in ("serious", "critical")]


def sign_in(page, url: str, who: str) -> None:
    """Open the console signed out, get sent to sign in, and come back to it."""
    page.goto(f"{url}/console")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.wait_for_load_state("load")   # the sign-in script is there before the form is used
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text(who)


def queued(client: httpx.Client, **body) -> tuple[str, dict[str, str]]:
    created = client.post("/api/conversations", json=body).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    said = client.post(f"/api/conversations/{created['id']}/messages", json={"text": "my bill is wrong"},
                       headers=headers)
    assert said.json()["status"] == "queued", said.text
    return created["id"], headers


def test_follow_up_mail_states_reply_box_and_history(desk, smtp_server, page):
    url, team = desk
    messages, port = smtp_server
    agent = f"{team}-ana"
    customer_id = f"c-{secrets.token_hex(4)}"
    article_id = f"bill-{secrets.token_hex(3)}"
    with session_scope() as session:
        staff.add_user(session, agent, PASSWORD, "agent", [team], 1)
        session.add(Article(id=article_id, title="Reading your first bill", kind="howto", status="published"))
        session.add(CannedResponse(title=f"Waiting {team}", body="Hi {customer_name}, thanks for waiting {wait}.",
                                   team=team, updated_by=agent))
    to = f"dana.{secrets.token_hex(3)}@example.com"
    refused = f"nobody.{secrets.token_hex(3)}@example.com"
    with httpx.Client(base_url=url, timeout=30) as client:
        earlier = client.post("/api/conversations", json={"customer": {"id": customer_id}}).json()["id"]
        with session_scope() as session:
            log.record(session, earlier, "answer", article_id=article_id)
            rescore(session, earlier, load_journey(), utcnow())
        live, live_headers = queued(client, customer={"id": customer_id})
        left = client.post(f"/api/conversations/{live}/follow-up", headers=live_headers,
                           json={"email": to, "name": "Dana", "note": "charged twice in May"}).json()
        other, other_headers = queued(client)
        bounced = client.post(f"/api/conversations/{other}/follow-up", headers=other_headers,
                              json={"email": refused}).json()
    # The mail server is down for the first round: both acknowledgements wait to be retried.
    assert smtp.deliver_due(plain(free_port()), utcnow(), limit=100_000)["retry"] >= 2

    sign_in(page, url, agent)
    expect(page.locator("#outbox-panel")).to_be_hidden()                # the outbox is for admins
    listed = page.locator("#follow-up-list .item")
    expect(listed).to_have_count(2)
    expect(page.locator("#follow-ups-count")).to_have_text("(2)")
    expect(listed.first).to_contain_text("An e-mail is waiting to retry")
    listed.filter(has_text=to).get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail .title")).to_be_focused()
    expect(page.locator("#detail .title")).to_have_text(f"Follow-up #{left['id']} · waiting for an answer")
    expect(page.locator("#detail .left-note")).to_have_text("They wrote: charged twice in May")
    ack = page.locator("#detail .mails li").first
    expect(ack).to_contain_text("Acknowledgement: Waiting to retry (attempt 2): SMTP server unreachable")
    expect(ack).to_contain_text(re.compile(r"Next try at \d\d:\d\d"))
    assert serious_axe(page) == []
    page.screenshot(path=str(ARTIFACTS / "console-follow-up-retry.png"))

    # Keyboard only: past the two buttons and the canned responses to the reply box; an empty reply
    # is refused in words.
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.get_by_label("Canned response", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    box = page.get_by_label("Reply by e-mail")
    expect(box).to_be_focused()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#detail .error")).to_have_text("Write the reply first: the e-mail would be empty.")
    page.keyboard.type("Hi {customer_name}, the second charge is refunded.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#detail .sent")).to_contain_text("is queued and goes out within seconds")
    expect(page.locator("#detail .error")).to_be_hidden()
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    expect(page.locator("#detail .mails li").first).to_have_text("Reply: Queued: goes out within seconds")
    page.get_by_label("Canned response", exact=True).select_option(label=f"Waiting {team}")
    expect(box).to_have_value("Hi Dana, thanks for waiting less than a minute.")   # the name she left
    expect(box).to_be_focused()
    box.fill("")

    # The server is back and the retries are due: every e-mail goes, and the page follows by itself.
    smtp.deliver_due(plain(port), utcnow() + timedelta(hours=1), limit=100_000)
    expect(page.locator("#detail .mails li")).to_have_text([re.compile(r"^Reply: Sent \d\d:\d\d$"),
                                                            re.compile(r"^Acknowledgement: Sent \d\d:\d\d$")])
    [reply] = [m for m in messages.to(to) if m["Subject"].startswith("Re:")]
    assert "Hi Dana, the second charge is refunded." in reply.get_body(("plain",)).get_content()

    # The refused address failed for good: said in the list and in its view, in words.
    failing = listed.filter(has_text=refused)
    expect(failing).to_contain_text("An e-mail failed")
    failing.get_by_role("button").click()
    expect(page.locator("#detail .mails li.failed")).to_contain_text(
        "Acknowledgement: Failed: the server refused the address: 550")
    assert serious_axe(page) == []
    page.screenshot(path=str(ARTIFACTS / "console-follow-up-failed.png"))

    # A reply the server refuses keeps its text and says why.
    with session_scope() as session:
        session.execute(update(FollowUp).where(FollowUp.id == bounced["id"]).values(team=f"{team}x"))
    box.fill("Could you give us another address?")
    page.get_by_role("button", name="Send by e-mail").click()
    expect(page.locator("#detail .error")).to_have_text(f"No follow-up {bounced['id']} for your teams.")
    expect(box).to_have_value("Could you give us another address?")

    # From the follow-up to its conversation: the e-mails and the customer's history beside it.
    listed.filter(has_text=to).get_by_role("button").click()
    page.get_by_role("button", name="Open the conversation").click()
    expect(page.locator("#detail .title")).to_contain_text("queued")
    context = page.locator("#detail .context")
    expect(context.locator(".follow-ups")).to_contain_text("Dana, " + to)
    expect(context.locator(".follow-ups .mails")).to_contain_text(re.compile(r"Reply: Sent \d\d:\d\d"))
    expect(context.locator(".history-who")).to_have_text(f"Customer {customer_id} (not verified)")
    expect(context.locator(".history li")).to_have_count(1)
    expect(context.locator(".history li")).to_contain_text(re.compile(
        r"· \w+ · .+ · experience \d+/100 · articles: Reading your first bill$"))
    assert article_id not in context.inner_text()
    box_left = context.bounding_box()["x"]
    assert box_left > page.locator("#detail .transcript").bounding_box()["x"] + 300   # beside, not below
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#detail .title")).to_contain_text("claimed")
    expect(page.locator("#mine-count")).to_have_text("(1 of 1)")            # how near the limit the agent is
    page.get_by_label("Canned response", exact=True).select_option(label=f"Waiting {team}")
    expect(page.get_by_label("Reply to the customer")).to_have_value("Hi Dana, thanks for waiting less than a minute.")
    assert serious_axe(page) == []
    page.screenshot(path=str(ARTIFACTS / "console-history.png"), full_page=True)

    # A second conversation at capacity 1: refused in words. Its customer's name is not known.
    page.locator("#queued .item").filter(has_text=team).first.get_by_role("button").click()
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#detail .error")).to_have_text(re.compile(
        r"^You already have 1 conversation open, your limit is 1: resolve one or hand one back"))
    expect(page.locator("#detail .history-who")).to_have_text("Nothing links this customer to earlier conversations.")
    page.set_viewport_size({"width": 390, "height": 844})               # a phone: the context goes below
    context = page.locator("#detail .context")
    assert context.bounding_box()["y"] > page.locator("#detail .head").bounding_box()["y"]
    assert serious_axe(page) == []
    assert page.dialogs == []


def test_admins_see_failed_mail_send_it_again_and_close_a_follow_up(desk, smtp_server, page):
    url, team = desk
    admin = f"{team}-root{secrets.token_hex(2)}"
    refused = f"nobody.{secrets.token_hex(3)}@example.com"
    with session_scope() as session:
        staff.add_user(session, admin, PASSWORD, "admin", [])
    with httpx.Client(base_url=url, timeout=30) as client:
        conversation, headers = queued(client)
        left = client.post(f"/api/conversations/{conversation}/follow-up", headers=headers,
                           json={"email": refused}).json()
    smtp.deliver_due(plain(smtp_server[1]), utcnow(), limit=100_000)          # 550: failed for good
    [mail_id] = [m["id"] for m in left["mails"]]

    sign_in(page, url, admin)
    expect(page.locator("#mine-count")).to_have_text("(0)")                 # an admin holds no seat: no limit
    problem = page.locator("#outbox li").filter(has_text=refused)
    expect(problem).to_contain_text(f"Acknowledgement to {refused} Failed: the server refused the address: 550")
    assert serious_axe(page) == []
    problem.get_by_role("button", name=f"Send e-mail #{mail_id} again").click()
    expect(problem).to_contain_text("Waiting to retry (attempt 2): the server refused the address")
    expect(page.locator("#outbox-error")).to_be_hidden()

    page.locator("#follow-up-list .item").filter(has_text=refused).get_by_role("button").click()
    expect(page.locator("#detail .mails li")).to_contain_text("Acknowledgement: Waiting to retry (attempt 2)")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.locator("#detail .title")).to_have_text("This follow-up is done")
    expect(page.locator("#follow-up-list")).not_to_contain_text(refused)
    expect(page.get_by_label("Reply by e-mail")).to_be_hidden()
    assert serious_axe(page) == []
    assert page.dialogs == []

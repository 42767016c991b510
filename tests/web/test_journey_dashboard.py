"""The journey analytics API and the dashboard's journey section: the API answers the figures for the
window it is given (and refuses a bad one in words), the CSV carries the same numbers, and in Chromium
the section reads at a glance, every chart has its table, and axe finds nothing serious.

The web app runs under uvicorn on loopback with Rasa down; journeys are written as scored touchpoints
and their scorer marks removed, so the background scorer leaves the labels as written."""

import csv
import io
import re
import secrets
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete

from candor.db import session_scope, utcnow
from routing import staff
from touchpoints import log
from touchpoints.customer_models import Customer
from touchpoints.models import Conversation, Touchpoint, TouchpointDirty

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def analyst():
    name = f"journey-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, "editor", [])
    return name


def journeys(start: datetime) -> None:
    """Three customers from ``start``: P considers then decides 2 days later; Q considers and is never
    back (stalled after 14 days); R is told "not a fit" while deciding and rates it 4."""
    tag = secrets.token_hex(3)
    plan = {f"p-{tag}": [("consideration", 0, None), ("decision", 2, None)],
            f"q-{tag}": [("consideration", 1, None)],
            f"r-{tag}": [("decision", 3, "not_a_fit")]}
    with session_scope() as session:
        ids = []
        for customer, visits in plan.items():
            session.add(Customer(id=customer, verified=True, attributes={}, first_seen=start, last_seen=start))
            session.flush()
            for stage, day, verdict in visits:
                at = start + timedelta(days=day)
                conversation = Conversation(id=str(uuid.uuid4()), token_hash="x" * 64, attributes={}, created_at=at,
                                            customer_id=customer)
                session.add(conversation)
                session.flush()
                if verdict:
                    log.record(session, conversation.id, "fit_recommendation", verdict=verdict)
                session.add(Touchpoint(
                    conversation_id=conversation.id, stage=stage, resolution=verdict or "answered_confirmed",
                    sentiments=[], satisfaction=4.0, satisfaction_predicted=verdict is None, experience_score=80,
                    formula_version=1, started_at=at, last_activity_at=at + timedelta(minutes=5),
                    escalation_reasons=[], articles=[]))
                ids.append(conversation.id)
        session.flush()
        session.execute(delete(TouchpointDirty).where(TouchpointDirty.conversation_id.in_(ids)))


def page_shots():
    """Screenshots for a person to look at (var/ of this test run, ignored by git)."""
    from candor.settings import get_settings

    folder = get_settings().var_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def token(base_url: str, name: str) -> dict[str, str]:
    body = httpx.post(f"{base_url}/api/auth/login", json={"username": name, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {body['token']}"}


@pytest.mark.unit
def test_the_api_and_csv_for_a_window(base_url, analyst):
    journeys(datetime(2023, 6, 1, 9))
    headers = token(base_url, analyst)
    window = {"since": "2023-06-01", "until": "2023-07-01", "within_days": 14}
    body = httpx.get(f"{base_url}/api/analytics/journey", params=window, headers=headers).json()
    assert body["customers"] == 3 and body["within_days"] == 14 and body["since"] == "2023-06-01T00:00:00Z"
    consideration = next(p for p in body["progression"] if p["stage"] == "consideration")
    assert consideration == {"stage": "consideration", "customers": 2, "moved_within": 1, "moved_later": 0,
                             "stalled": 1, "waiting": 0}
    assert body["transitions"] == [{"from": "consideration", "to": "decision", "customers": 1}]
    assert body["not_a_fit"]["told"]["conversations"] == 1 and body["not_a_fit"]["told"]["rated_satisfaction"] == 4.0

    response = httpx.get(f"{base_url}/api/analytics/journey.csv", params=window, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["section", "group", "measure", "value"]
    assert ["progression", "consideration", "stalled", "1"] in rows
    assert ["transition", "consideration to decision", "customers", "1"] in rows

    bad = httpx.get(f"{base_url}/api/analytics/journey", params={**window, "within_days": 0}, headers=headers)
    assert bad.status_code == 422 and "greater than or equal to 1" in bad.text
    backwards = httpx.get(f"{base_url}/api/analytics/journey", params={"since": "2023-07-01", "until": "2023-06-01"},
                          headers=headers)
    assert backwards.status_code == 422 and backwards.json()["detail"] == "until must be after since"


@pytest.mark.browser
@pytest.mark.slow
def test_the_dashboard_section_in_chromium(base_url, analyst, browser):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    journeys(utcnow() - timedelta(days=25))
    context = browser.new_context(viewport={"width": 1200, "height": 850})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/dashboard")
        page.get_by_label("Username").fill(analyst)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        section = page.get_by_role("region", name="Customer journeys across conversations")
        expect(section.locator("#journey-summary")).to_contain_text("had conversations in this period")
        chart = section.get_by_role("img", name="Customers per stage and what came next", exact=False)
        expect(chart).to_have_attribute("aria-label", re.compile(r"Consideration: \d+ customers"))
        progress = section.locator("table").first
        expect(progress.locator("thead th").nth(2)).to_have_text("Moved on within 14 days")
        consideration = progress.get_by_role("row", name="Consideration", exact=False)
        assert int(consideration.locator("td").nth(0).inner_text()) >= 2
        expect(section.get_by_role("rowheader", name="Told “not a fit”")).to_be_visible()
        expect(section.get_by_role("link", name="Export journey figures (CSV)")).to_have_attribute(
            "href", re.compile("within_days=14"))

        # Another "moved on within": the section reloads with its words and its export link.
        page.get_by_label("A customer moved on when a later stage followed within").select_option("7")
        expect(progress.locator("thead th").nth(2)).to_have_text("Moved on within 7 days")
        expect(section.get_by_role("link", name="Export journey figures (CSV)")).to_have_attribute(
            "href", re.compile("within_days=7"))
        section.screenshot(path=str(page_shots() / "dashboard-journey.png"))
        found = Axe().run(page).response["violations"]
        serious = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in found
                   if v["impact"] in ("serious", "critical")]
        assert serious == []
    finally:
        context.close()

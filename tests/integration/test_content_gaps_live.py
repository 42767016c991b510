"""Content gaps against the real stack: a question the bot could not answer is on the dashboard's
list within the read (the web app's gap job places it), and leaves it once an article that
answers it is published."""

import secrets
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "can I pause my broadband while I travel abroad for three months?"


def gaps(api, headers) -> list[dict]:
    summary = api.get("/api/analytics/summary", headers=headers)
    assert summary.status_code == 200, summary.text
    return summary.json()["content_gaps"]


def test_an_unanswered_question_is_a_gap_until_an_article_answers_it(api, agents, new_customer):
    editor = agents["eve"]
    customer = new_customer()
    customer.say(QUESTION)
    listed = [g for g in gaps(api, editor) if QUESTION in g["questions"]]
    assert len(listed) == 1 and listed[0]["size"] >= 1 and listed[0]["representative"]

    article = f"pause-abroad-{secrets.token_hex(2)}"
    made = api.post("/api/articles", headers=editor, json={
        "id": article, "title": "Pausing your broadband while you travel", "kind": "policy",
        "questions": ["can I pause my broadband while I travel abroad", "can I suspend my broadband for a few months"],
        "body": "You can pause your broadband for up to three months while you travel; the line stays yours."})
    assert made.status_code == 201, made.text
    assert api.post(f"/api/articles/{article}/publish", headers=editor).status_code == 200
    deadline = time.monotonic() + 30   # the job searches open gaps on its next pass after a publish
    while any(QUESTION in g["questions"] for g in gaps(api, editor)) and time.monotonic() < deadline:
        time.sleep(1)
    assert not any(QUESTION in g["questions"] for g in gaps(api, editor))

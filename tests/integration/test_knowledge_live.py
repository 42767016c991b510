"""The running bot uses a newly imported or edited article within 2 seconds, no restart."""

import json
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ARTICLE = {
    "id": "gift-vouchers", "title": "Can I buy a Kestrel gift voucher?", "kind": "policy",
    "body": "Yes: gift vouchers worth £25, £50 or £100 pay towards any plan and never expire.",
    "questions": ["do you sell gift vouchers", "can I buy broadband as a present", "gift card for broadband"],
    "tags": ["vouchers"], "url": "https://kestrelfibre.example/help/gift-vouchers", "status": "published",
}


def candor(*args: str, settings) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "candor.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def ask_until(customer, text: str, article_id: str, seconds: float = 2.0) -> tuple[dict, float]:
    started = time.monotonic()
    while True:
        reply = customer.say(text)
        sources = [s["article_id"] for m in reply["messages"] for s in m["sources"]]
        elapsed = time.monotonic() - started
        if article_id in sources or elapsed > seconds:
            return reply, elapsed


def test_an_imported_article_is_used_by_the_running_bot(stack_settings, customer, tmp_path):
    before = customer.say("can I buy a gift voucher for broadband?")
    assert not any(s["article_id"] == "gift-vouchers" for m in before["messages"] for s in m["sources"])

    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(ARTICLE) + "\n")
    started = time.monotonic()
    result = candor("kb", "import", str(path), settings=stack_settings)
    assert result.returncode == 0, result.stderr
    reply, elapsed = ask_until(customer, "do you sell gift vouchers?", "gift-vouchers")
    assert any(s["article_id"] == "gift-vouchers" for m in reply["messages"] for s in m["sources"]), reply
    assert time.monotonic() - started - elapsed < 30 and elapsed <= 2.0

    edited = {**ARTICLE, "body": "Yes: vouchers now come in £10 steps from £10 to £200 and never expire."}
    path.write_text(json.dumps(edited) + "\n")
    assert candor("kb", "import", str(path), settings=stack_settings).returncode == 0
    started = time.monotonic()
    while True:
        reply = customer.say("do you sell gift vouchers?")
        if "£10 steps" in reply["messages"][0]["text"] or time.monotonic() - started > 2.0:
            break
    assert "£10 steps" in reply["messages"][0]["text"]


def test_a_bad_import_file_is_refused_with_line_numbers(stack_settings, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ARTICLE) + "\n{oops\n" + json.dumps({**ARTICLE, "id": "x y"}) + "\n")
    result = candor("kb", "import", str(path), settings=stack_settings)
    assert result.returncode == 2
    assert "line 2" in result.stderr and "line 3" in result.stderr and "nothing was imported" in result.stderr


def test_kb_search_shows_the_decision_and_ranked_articles(stack_settings):
    covered = candor("kb", "search", "what's the fee if I leave my contract early", settings=stack_settings)
    assert covered.returncode == 0, covered.stderr
    assert "decision: answer" in covered.stdout and "early-termination-fee" in covered.stdout
    unrelated = candor("kb", "search", "best hiking boots for winter", settings=stack_settings)
    assert "decision: unsure" in unrelated.stdout


def test_helpful_clicks_are_stored_against_the_article(customer, stack_settings):
    from candor.db import session_scope
    from touchpoints.models import Event

    answer = customer.say("how much does the router cost if I don't return it?")
    cited = [s["article_id"] for m in answer["messages"] for s in m["sources"]]
    assert cited
    thanks = customer.say("/feedback_helpful")
    assert thanks["messages"] and thanks["status"] == "bot"
    with session_scope(stack_settings.database_url) as session:
        events = session.scalars(select(Event).where(Event.conversation_id == customer.id,
                                                     Event.kind == "feedback")).all()
        assert [(e.data["helpful"], e.data["article_id"]) for e in events] == [(True, cited[0])]

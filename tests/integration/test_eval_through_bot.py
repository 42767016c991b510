"""`candor eval --through-bot` against the shared running stack.

What the bot answers is being changed by others all the time, so these tests check that the runner
scores what the bot did consistently (counts, queued replies, the metrics' arithmetic), not what the
bot should say.
"""

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from candor.eval_bot import run_through_bot
from candor.evaluation import metrics, read_questions

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LABELLED = [
    {"text": "how much does installation cost?", "expected": "installation-fee"},
    {"text": "do I have to send the router back when I leave", "expected": "router-return-fee"},
    {"text": "do you cap how much I can download each month", "expected": ["fair-use-policy"]},
    {"text": "I want to talk to a person", "expected": None, "escalate": True},
    {"text": "what's the best recipe for banana bread?", "expected": None},
    {"text": "which is better for a family of four, plus or max", "expected": ["plus-500-vs-max-900",
                                                                              "plus-500-who-its-for"]},
]


@pytest.fixture
def questions_file(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in LABELLED))
    return path


@pytest.fixture
def admin_token(new_staff, stack_settings):
    username, password = new_staff("evaluator", "admin")
    response = httpx.post(f"{stack_settings.web_url}/api/auth/login",
                          json={"username": username, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_each_question_is_a_fresh_conversation_scored_from_its_reply(stack, stack_settings, questions_file,
                                                                       admin_token):
    questions = read_questions(questions_file)
    # On a thread of its own: the browser tests' sync Playwright keeps an event loop running on the
    # main thread for the whole session, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(asyncio.run, run_through_bot(stack_settings.web_url, questions, concurrency=3,
                                                       staff_token=admin_token)).result()
    assert run.errors == []
    assert [o.question for o in run.outcomes] == questions  # question order kept

    staff = {"Authorization": f"Bearer {admin_token}"}
    queued = httpx.get(f"{stack_settings.web_url}/api/escalations", params={"status": "queued"},
                       headers=staff, timeout=30).json()
    queued_ids = {e["conversation_id"] for e in queued}
    conversations = [o.explain["conversation"] for o in run.outcomes]
    assert len(set(conversations)) == len(questions)  # never a conversation reused
    for outcome, conversation in zip(run.outcomes, conversations, strict=True):
        assert (outcome.explain["status"] == "queued") == (conversation in queued_ids)
        if outcome.explain["status"] == "queued":
            assert outcome.escalated
        assert outcome.explain.get("timeline")  # the admin token read what the bot saw
        if outcome.answered_with is not None:
            assert outcome.answered_with in outcome.ranked or outcome.ranked == []
        assert outcome.seconds > 0

    answerable = [o for o in run.outcomes if o.question.expected]
    escalated = [o for o in run.outcomes if o.escalated]
    should = [o for o in run.outcomes if o.question.escalate]
    m = metrics(run.outcomes)
    assert (m["n"], m["n_answerable"], m["n_unanswerable"], m["n_escalate"]) == (6, 4, 2, 2)
    right = [o for o in answerable if o.answered_with in o.question.expected and not o.escalated]
    assert m["answer_accuracy"] == round(len(right) / 4, 4)
    assert m["false_escalation_rate"] == round(sum(o.escalated for o in answerable) / 4, 4)
    assert m["escalation_recall"] == round(sum(o.escalated for o in should) / 2, 4)
    assert m["escalation_precision"] == (round(sum(o.question.escalate for o in escalated) / len(escalated), 4)
                                         if escalated else 0.0)
    # An article to read while rightly queued for a person is no wrong answer.
    wrong = [o for o in run.outcomes if o.answered_with and o.answered_with not in o.question.expected
             and not (o.escalated and o.question.escalate)]
    assert m["wrong_answer_rate"] == round(len(wrong) / 6, 4)


def test_the_command_prints_the_figures_as_json_and_explains_the_misses(stack, stack_settings, questions_file,
                                                                         admin_token):
    result = subprocess.run(
        [sys.executable, "-m", "candor.cli", "eval", "--through-bot", "--url", stack_settings.web_url,
         "--kb", str(stack_settings.sample_kb), "--questions", str(questions_file), "--json", "--explain"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "CANDOR_EVAL_STAFF_TOKEN": admin_token},
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["mode"] == "bot" and figures["errors"] == 0 and figures["n"] == 6
    assert all(0.0 <= figures[key] <= 1.0 for key in (
        "answer_accuracy", "top1_accuracy", "recall_at_3", "mrr", "false_escalation_rate", "escalation_recall",
        "escalation_precision", "wrong_answer_rate"))
    assert "through the bot:" in result.stderr and "misses of 6" in result.stderr


def test_a_bad_questions_file_exits_2_with_the_line(stack_settings, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine", "expected": null}\n{"text": "x", "expected": 7}\n')
    result = subprocess.run(
        [sys.executable, "-m", "candor.cli", "eval", "--through-bot", "--url", stack_settings.web_url,
         "--questions", str(bad)], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2 and "line 2" in result.stderr

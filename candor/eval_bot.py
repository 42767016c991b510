"""``candor eval --through-bot``: each labelled question as the first message of a new conversation
through the public API (web app → Rasa → actions → routing), so the whole decision is measured
where customers meet it: the NLU intent, the rules and stories, the answer action and the handoff.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from candor.evaluation import Outcome, Question, choose
from candor.ports import free_port
from candor.settings import Settings, get_settings
from touchpoints.status import ConversationStatus

RETRY_STATUSES = {429, 503}
REPLY_CHARS = 160


@dataclass
class BotRun:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[tuple[Question, str]] = field(default_factory=list)  # the question and what went wrong


class BotFailure(Exception):
    """The web app answered, but with its bot-failure apology or bot-down notice."""


def outcome_from_reply(question: Question, reply: dict[str, Any], seconds: float,
                       timeline: list[dict[str, Any]] | None = None, conversation: str | None = None) -> Outcome:
    """Score one reply of `POST /api/conversations/{id}/messages` (and the touchpoint timeline, when
    a staff token could read it)."""
    # Imported here: the integration tests' conftest imports this module and should stay light.
    from conversations.turn import BOT_DOWN_NOTICE, BOT_ERROR_APOLOGY, HUMAN_PAYLOAD

    messages = [m for m in reply.get("messages", []) if m.get("sender") == "bot"]
    # Replies meaning the bot did not take the turn at all: errors, not escalations.
    if any(m.get("text") in (BOT_DOWN_NOTICE, BOT_ERROR_APOLOGY) for m in messages):
        raise BotFailure("the bot failed to answer (apology or bot-down notice)")
    cited = cited_in(reply)
    offers_person = any(b.get("payload") == HUMAN_PAYLOAD for m in messages for b in m.get("buttons") or [])
    # Offered a person *instead of* an answer; an answer with an offer beside it is still an answer.
    escalated = reply.get("status") == ConversationStatus.QUEUED or (offers_person and cited is None)
    seen = what_the_bot_saw(timeline) if timeline is not None else {}
    ranked = list(seen.get("considered") or ([cited] if cited else []))
    text = " / ".join(m.get("text") or "" for m in messages)
    explain = {**seen, "conversation": conversation, "status": reply.get("status"),
               "reply": text if len(text) <= REPLY_CHARS else text[:REPLY_CHARS - 1] + "…"}
    return Outcome(question, cited, escalated, ranked, seconds, explain, suggestions_in(messages))


def suggestions_in(messages: list[dict[str, Any]]) -> tuple[str, ...]:
    """The articles a reply offers to choose from, by their buttons' payloads."""
    from actions.common import PAYLOAD

    return tuple(m.group(1) for message in messages for b in message.get("buttons") or []
                 if (m := PAYLOAD.match(str(b.get("payload", "")))))


def cited_in(reply: dict[str, Any]) -> str | None:
    return next((m["sources"][0]["article_id"] for m in reply.get("messages", [])
                 if m.get("sender") == "bot" and m.get("sources")), None)


def what_the_bot_saw(timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """Intent, KB confidence, considered articles and reasons, from a touchpoint's event timeline."""
    seen: dict[str, Any] = {"timeline": True}
    answer = next((e for e in timeline if e.get("kind") in ("answer", "unsure", "smalltalk")), None)
    if answer is not None:
        seen["confidence"] = answer.get("confidence")
        seen["considered"] = answer.get("considered") or []
        seen["reasons"] = answer.get("reasons") or []
        seen["sure"] = answer.get("kind") == "answer" or None
        if answer.get("kind") == "smalltalk":
            seen["action"] = "small talk reply"
        for key in ("intent", "intent_confidence", "action", "searched_as"):
            if answer.get(key) is not None:
                seen[key] = answer[key]
    escalation = next((e for e in timeline if e.get("kind") == "escalated"), None)
    if escalation is not None:
        seen["escalation_reasons"] = escalation.get("reasons") or []
        evidence = escalation.get("evidence") or {}
        for key in ("intent", "confidence", "considered"):
            if key not in seen and evidence.get(key) is not None:
                seen[key] = evidence[key]
    return seen


async def run_through_bot(
    url: str, questions: Sequence[Question], *, concurrency: int = 4, timeout_s: float = 30.0,
    staff_token: str | None = None, progress: Callable[[], None] = lambda: None,
) -> BotRun:
    """Every question in a fresh conversation, a few at a time; results in question order."""
    gate, timeline_lock = asyncio.Semaphore(concurrency), asyncio.Lock()
    staff = {"Authorization": f"Bearer {staff_token}"} if staff_token else None

    async def one(client: httpx.AsyncClient, question: Question) -> Outcome | str:
        async with gate:
            try:
                return await _ask(client, question, staff, timeline_lock)
            except httpx.HTTPStatusError as error:
                return f"HTTP {error.response.status_code}: {error.response.text[:200]}"
            except httpx.TimeoutException:
                return f"timeout after {timeout_s:g}s"
            except httpx.HTTPError as error:
                return f"{type(error).__name__}: {error}"
            except BotFailure as error:
                return str(error)
            finally:
                progress()

    async with httpx.AsyncClient(base_url=url, timeout=timeout_s) as client:
        await warm_up(client)
        results = await asyncio.gather(*(one(client, q) for q in questions))
    run = BotRun()
    for question, result in zip(questions, results, strict=True):
        if isinstance(result, Outcome):
            run.outcomes.append(result)
        else:
            run.errors.append((question, result))
    return run


async def warm_up(client: httpx.AsyncClient, attempts: int = 3) -> None:
    """One knowledge question in a throwaway conversation, until the bot answers it: the action
    server loads its embedding model on the first search, which can outlast Rasa's action timeout
    on a busy machine and would be scored as failures of the first few questions."""
    for _ in range(attempts):
        try:
            await _ask(client, Question("how much does it cost?"))
            return
        except (httpx.HTTPError, BotFailure):
            await asyncio.sleep(2)


async def _ask(client: httpx.AsyncClient, question: Question, staff: dict[str, str] | None = None,
               lock: asyncio.Lock | None = None) -> Outcome:
    created = (await _post(client, "/api/conversations")).json()
    customer = {"Authorization": f"Bearer {created['token']}"}
    started = time.perf_counter()
    reply = await _post(client, f"/api/conversations/{created['id']}/messages", json={"text": question.text},
                        headers=customer)
    seconds = time.perf_counter() - started
    timeline = await _timeline(client, created["id"], staff, lock or asyncio.Lock()) if staff else None
    outcome = outcome_from_reply(question, reply.json(), seconds, timeline, created["id"])
    choice = choose(question, outcome.suggested)
    if choice is None:
        return outcome
    from actions.common import choice_payload

    # The customer clicks the suggestion that answers what they asked: the widget sends its payload.
    chosen = await _post(client, f"/api/conversations/{created['id']}/messages",
                         json={"text": choice_payload(choice)}, headers=customer)
    return dataclasses.replace(outcome, after_choice=cited_in(chosen.json()))


async def _timeline(client: httpx.AsyncClient, conversation: str, staff: dict[str, str],
                    lock: asyncio.Lock) -> list[dict[str, Any]] | None:
    """The touchpoint's event timeline, or None: only the explanation and ranking need it, so its
    failure never makes the question an error. One read at a time, retried once: reading a
    touchpoint scores it, and concurrent first scorings of one conversation can collide."""
    async with lock:
        for _ in range(2):
            try:
                response = await client.get(f"/api/touchpoints/{conversation}", headers=staff)
                if response.status_code == 200:
                    timeline: list[dict[str, Any]] = response.json().get("timeline", [])
                    return timeline
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    return None


async def _post(client: httpx.AsyncClient, path: str, attempts: int = 3, **kwargs: Any) -> httpx.Response:
    """POST, waiting out a 429 or 503 as the widget would (Retry-After, a few times), then raising."""
    for attempt in range(attempts):
        response = await client.post(path, **kwargs)
        if response.status_code not in RETRY_STATUSES or attempt == attempts - 1:
            break
        await asyncio.sleep(min(10.0, float(response.headers.get("Retry-After", "1") or 1)))
    response.raise_for_status()
    return response


def always_open_policy(var: Path, source: Path | None = None) -> Path:
    """A copy of the policy with the team always in, so what the bot says does not depend on the hour
    it runs (business hours are covered by the policy's own tests)."""
    from routing.config import DEFAULT_POLICY

    policy = yaml.safe_load((source or DEFAULT_POLICY).read_text())
    policy["business_hours"] = {"timezone": "UTC"}
    var.mkdir(parents=True, exist_ok=True)
    path = var / "policy.yml"
    path.write_text(yaml.safe_dump(policy))
    return path


def eval_settings(var: Path, kb: Path, base: Settings | None = None) -> Settings:
    """A stack of its own: SQLite in ``var`` seeded with ``kb``, free ports, customer rate limits out
    of the way; the embedding cache and trained models shared with the normal var dir."""
    base = base or get_settings()
    unlimited = "1000000/minute"
    return Settings(
        env="development", var_dir=var, database_url=f"sqlite:///{var / 'candor.db'}",
        cache_dir=base.cache_dir, models_dir=base.models_dir, sample_kb=kb,
        policy_file=always_open_policy(var, base.policy_file), redis_url="", rasa_replicas=1, web_workers=1,
        rasa_port=free_port(), actions_port=free_port(), web_port=free_port(), rasa_token=secrets.token_urlsafe(24),
        rate_limit_ip=unlimited, rate_limit_conversation=unlimited, rate_limit_login=unlimited,
    )


@contextmanager
def own_stack(kb: Path, set_up: Callable[[Settings], Path], echo: Callable[[str], None],
              timeout_s: float = 600) -> Iterator[tuple[str, str]]:
    """Start a stack answering from ``kb``; yields (web URL, admin bearer token); always stopped.

    ``set_up`` is `candor up`'s preparation (policy check, database seeded from ``kb``, model).
    The temporary var dir is removed unless something failed (its logs are then kept)."""
    from candor.db import get_engine, session_scope
    from candor.supervisor import Stack
    from routing.staff import add_user

    var = Path(tempfile.mkdtemp(prefix="candor-eval-"))
    settings = eval_settings(var, kb)
    stack, failed = None, True
    try:
        stack = Stack(settings, set_up(settings), echo=echo)
        stack.start()
        stack.wait_healthy(timeout_s=timeout_s)
        name, password = f"eval-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
        with session_scope(settings.database_url) as session:
            add_user(session, name, password, "admin")
        login = httpx.post(f"{settings.web_url}/api/auth/login", json={"username": name, "password": password},
                           timeout=30)
        login.raise_for_status()
        yield settings.web_url, login.json()["token"]
        stack.check_alive()  # a child that died during the run is reported, not hidden
        failed = False
    finally:
        if stack is not None:
            stack.stop()
        get_engine(settings.database_url).dispose()
        if failed:
            echo(f"Logs of the evaluation stack kept in {var / 'logs'}.")
        else:
            shutil.rmtree(var, ignore_errors=True)

"""``candor bench load``: concurrent customers through Candor's public API, next to the same
questions sent straight to Rasa's REST webhook in the same run (and, when the bench serves one, to
a plain ``rasa init`` bot), then a "nothing lost" audit.

Order (ABBA, so linear machine drift cancels): a warm-up of every path, then each path's first
half of the turns (raw webhook, Candor, plain bot), then the second halves in reverse order. Each
customer sends its turns one after another (it waits for the reply); customers run concurrently.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from candor.load_cpu import CpuMeter, spent
from touchpoints.status import ConversationStatus
from web.rasa_client import Balancer

TARGETS = {"lost": 0, "error_rate_pct": 0.1, "p95_ratio": 1.5}
# Asking for a person, complaining, starting the fit questionnaire, sounding unhappy: every turn
# should be a knowledge-base answer (the policy's human topics and the NLU screen do the rest).
AVOID = re.compile(
    r"\b(cancel\w*|person|human|agent|someone|somebody|staff|operator|call\w*|complain\w*|refund\w*|"
    r"compensation|owed|down|outage\w*|didn'?t|lost|broken|missed|bounced|struggling|hate|penalty|"
    r"which (plan|one|package|deal)|best plan|recommend|help me|right plan|suits me|should i get)\b", re.I)
KB_INTENTS = {"ask_cost", "ask_tradeoff", "ask_fit", "ask_policy", "ask_howto", "nlu_fallback"}


@dataclass
class Customer:
    """A Candor conversation, or a sender id on the raw Rasa webhook."""
    questions: list[str]
    id: str = ""
    token: str = ""
    status: str = ConversationStatus.BOT
    acked: list[str] = field(default_factory=list)    # answered 2xx, in the order sent
    unacked: list[str] = field(default_factory=list)  # failed or timed out: may or may not be stored


@dataclass
class Sample:
    ms: float
    error: str | None = None  # "HTTP 429", "timeout", "ConnectError", …
    queued: bool = False      # sent while a person held the conversation: never reached Rasa
    kb_answer: bool = False   # the reply cited a knowledge-base article
    degraded: bool = False    # 2xx, but the bot-down notice / apology (Candor) or no reply (Rasa)
    create: bool = False      # POST /api/conversations: counted in requests and errors, not as a turn


@dataclass
class PhaseStats:
    name: str
    turns: int
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    turns_per_s: float
    errors: int
    error_rate_pct: float
    error_kinds: dict[str, int]
    kb_answers: int
    degraded: int
    queued_turns: int
    cpu_ms_per_turn: dict[str, float] = field(default_factory=dict)  # by process; empty without a meter
    cpu_busy_pct: float = float("nan")  # all those processes' CPU time / (wall time x cores)


@dataclass
class Audit:
    conversations: int = 0
    checked_messages: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unreadable: int = 0  # transcripts that could not be fetched
    escalated: int = 0   # conversations waiting for or held by a person at the end

    @property
    def ok(self) -> bool:
        return self.lost == self.duplicated == self.out_of_order == self.unreadable == 0


@dataclass
class LoadReport:
    conversations: int
    turns: int
    baseline: PhaseStats
    candor: PhaseStats
    p95_ratio: float
    audit: Audit
    notes: list[str]
    plain: PhaseStats | None = None  # a plain `rasa init` bot, when the bench served one

    @property
    def passed(self) -> bool:
        return self.audit.ok and self.candor.error_rate_pct < TARGETS["error_rate_pct"]


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN for no values."""
    if not values:
        return float("nan")
    ordered, rank = sorted(values), (len(values) - 1) * q / 100
    low, high = int(rank), min(int(rank) + 1, len(values) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def audit_transcript(acked: list[str], unacked: list[str], stored: list[str]) -> tuple[int, int, int]:
    """(lost, duplicated, out of order) among one conversation's stored customer messages.

    Each acknowledged message must be stored exactly once, in the order sent; one whose request
    failed may be stored once or not at all. The k-th acknowledged copy of a text is matched
    with its k-th stored copy.
    """
    have, want, maybe = Counter(stored), Counter(acked), Counter(unacked)
    lost = sum(max(0, n - have[text]) for text, n in want.items())
    duplicated = sum(max(0, n - want[text] - maybe[text]) for text, n in have.items())
    positions: dict[str, list[int]] = {}
    for index, text in enumerate(stored):
        positions.setdefault(text, []).append(index)
    seen: Counter[str] = Counter()
    out_of_order, latest = 0, -1
    for text in acked:
        copies, k = positions.get(text, []), seen[text]
        seen[text] += 1
        if k < len(copies):
            out_of_order += copies[k] < latest
            latest = max(latest, copies[k])
    return lost, duplicated, out_of_order


def question_pool(kb: Path, policy_file: Path) -> list[list[str]]:
    """Per published article, its title and example questions that should get a plain answer."""
    from routing.config import load_policy
    from routing.policy import Router
    from touchpoints.redaction import redact
    from touchpoints.sentiment import sentiment

    router = Router(load_policy(policy_file))
    human_tags = {tag for topic in router.config.human_topics.values() for tag in topic.tags}
    pool = []
    for article in (json.loads(line) for line in kb.read_text(encoding="utf-8").splitlines() if line.strip()):
        if article.get("status", "published") != "published" or human_tags & set(article.get("tags", [])):
            continue
        pool.append([q for q in [article["title"], *article.get("questions", [])]
                     if not AVOID.search(q) and router.human_topic(q, None) is None
                     and sentiment(q) > router.config.offer_below_sentiment and redact(q) == q])
    return [texts for texts in pool if texts]


async def screen(http: httpx.AsyncClient, rasa_url: str, token: str,
                 pool: list[list[str]]) -> tuple[list[list[str]], str]:
    """Keep the questions Rasa's NLU routes to the knowledge-base action (its HTTP API needs the token)."""
    if not token:
        return pool, "questions NOT screened by the NLU (no Rasa token; set CANDOR_RASA_TOKEN)"
    try:
        kept = [[q for q in texts if (await http.post(f"{rasa_url}/model/parse", params={"token": token},
                json={"text": q})).raise_for_status().json()["intent"]["name"] in KB_INTENTS] for texts in pool]
    except httpx.HTTPError as error:
        return pool, f"questions NOT screened by the NLU ({error})"
    kept = [texts for texts in kept if texts]
    return kept, f"NLU screen: kept the {sum(map(len, kept))} of {sum(map(len, pool))} questions it sends to the KB"


def scripts(pool: list[list[str]], customers: int, turns: int, rng: random.Random) -> list[list[str]]:
    """Each customer asks about another article every turn, in a seeded random order."""
    out = []
    for _ in range(customers):
        articles = [rng.sample(texts, len(texts)) for texts in rng.sample(pool, len(pool))]
        out.append([(a := articles[t % len(articles)])[t // len(articles) % len(a)] for t in range(turns)])
    return out


async def _timed(request: Awaitable[httpx.Response]) -> tuple[float, httpx.Response | None, str | None]:
    started = time.perf_counter()
    try:
        response = await request
        error = None if response.is_success else f"HTTP {response.status_code}"
    except httpx.TimeoutException:
        response, error = None, "timeout"
    except httpx.HTTPError as failure:
        response, error = None, type(failure).__name__
    return (time.perf_counter() - started) * 1000, response, error


async def _candor(http: httpx.AsyncClient, url: str, c: Customer, turns: range, out: list[Sample]) -> None:
    from conversations import turn  # the notices a turn gets when the bot could not answer

    notices = {getattr(turn, name, None) for name in ("BOT_DOWN_NOTICE", "BOT_ERROR_APOLOGY")}
    if not c.id:
        ms, response, error = await _timed(http.post(f"{url}/api/conversations"))
        out.append(Sample(ms, error and f"create: {error}", create=True))
        if error or response is None:  # its turns count as failed too: a customer who cannot start cannot ask
            out.extend(Sample(0.0, "not sent: no conversation") for _ in turns)
            return
        c.id, c.token = response.json()["id"], response.json()["token"]
    for t in turns:
        text, queued = c.questions[t], c.status != ConversationStatus.BOT
        ms, response, error = await _timed(http.post(  # a key per message, as the widget sends
            f"{url}/api/conversations/{c.id}/messages", json={"text": text},
            headers={"Authorization": f"Bearer {c.token}", "Idempotency-Key": str(uuid.uuid4())}))
        (c.unacked if error else c.acked).append(text)
        body = response.json() if response is not None and not error else {}
        c.status = body.get("status", c.status)
        replies = body.get("messages", [])
        out.append(Sample(ms, error, queued, any(m.get("sources") for m in replies),
                          any(m.get("text") in notices for m in replies)))


async def _rasa(http: httpx.AsyncClient, replicas: tuple[list[str], Balancer], c: Customer, turns: range,
                out: list[Sample]) -> None:
    urls, balancer = replicas  # spread over the replicas as the web app spreads its turns
    c.id = c.id or f"bench-load-{uuid.uuid4()}"
    for t in turns:
        with balancer.take(c.id, set()) as replica:
            ms, response, error = await _timed(http.post(f"{urls[replica]}/webhooks/rest/webhook",
                                                         json={"sender": c.id, "message": c.questions[t]}))
        replies = (response.json() or []) if response is not None and not error else []
        kb = any((r.get("custom") or {}).get("sources") for r in replies)
        out.append(Sample(ms, error, kb_answer=kb, degraded=not error and not replies))


# One customer's turns on one path: _candor (target: the web app's URL) or _rasa (the replicas).
CustomerRun = Callable[..., Awaitable[None]]


async def _phase(run: CustomerRun, http: httpx.AsyncClient, target: object, customers: list[Customer], turns: range,
                 out: list[Sample]) -> float:
    """Every customer concurrently, each one's turns in sequence; returns the wall time in s."""
    started = time.perf_counter()
    await asyncio.gather(*(run(http, target, c, turns, out) for c in customers))
    return time.perf_counter() - started


def stats(name: str, samples: list[Sample], wall_s: float, cpu_s: dict[str, float] | None = None,
          cores: int = 1) -> PhaseStats:
    turns = [s for s in samples if not s.create]
    cpu_s = cpu_s or {}
    timed = [s.ms for s in turns if not s.error and not s.queued]  # 2xx turns that went to the bot
    errors = Counter(s.error for s in samples if s.error)
    failed = sum(errors.values())
    return PhaseStats(name, len(turns), len(samples), percentile(timed, 50), percentile(timed, 95),
                      percentile(timed, 99), len(turns) / wall_s if wall_s else 0.0, failed,
                      100 * failed / len(samples) if samples else 0.0, dict(errors),
                      sum(s.kb_answer for s in turns), sum(s.degraded for s in turns), sum(s.queued for s in turns),
                      {k: 1000 * v / len(turns) for k, v in cpu_s.items()} if turns else {},
                      100 * sum(cpu_s.values()) / (wall_s * cores) if cpu_s and wall_s else float("nan"))


async def run_load(url: str, rasa_urls: list[str], kb: Path, policy_file: Path, rasa_token: str = "",
                   conversations: int = 50, turns: int = 10, warmup: int = 2, seed: int = 7,
                   timeout_s: float = 30.0, echo: Callable[[str], None] = print,
                   cpu: CpuMeter | None = None, plain_url: str | None = None) -> LoadReport:
    rng = random.Random(seed)
    names = ("baseline", "candor", "plain")
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    wall = dict.fromkeys(names, 0.0)
    used: dict[str, dict[str, float]] = {name: {} for name in names}  # CPU seconds per process
    # Idle connections are dropped before uvicorn's and Sanic's 5 s keep-alive timeout, so no request goes
    # out on a connection the server is closing at that moment (then a ReadError the product never saw).
    limits = httpx.Limits(max_connections=conversations + 20, max_keepalive_connections=conversations + 20,
                          keepalive_expiry=3.0)
    async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as http:
        pool, screened = await screen(http, rasa_urls[0], rasa_token, question_pool(kb, policy_file))
        echo(screened)
        if not pool:
            raise ValueError(f"No usable questions in {kb}")
        asked, warm = scripts(pool, conversations, turns, rng), scripts(pool, min(conversations, 10), warmup, rng)
        base, cand, warm_cand = [Customer(q) for q in asked], [Customer(q) for q in asked], [Customer(q) for q in warm]
        echo(f"warm-up: {len(warm)} customers x {warmup} turns on each path (not measured)")
        replicas = (rasa_urls, Balancer(len(rasa_urls)))
        await _phase(_rasa, http, replicas, [Customer(q) for q in warm], range(warmup), [])
        await _phase(_candor, http, url, warm_cand, range(warmup), [])
        plain = ([plain_url], Balancer(1)) if plain_url else None
        if plain:
            await _phase(_rasa, http, plain, [Customer(q) for q in warm], range(warmup), [])
        half = turns // 2 if turns > 1 else turns
        paths: list[tuple[str, CustomerRun, object, list[Customer]]] = [
            ("baseline", _rasa, replicas, base), ("candor", _candor, url, cand)]
        if plain:
            paths.append(("plain", _rasa, plain, [Customer(q) for q in asked]))
        # ABC then CBA: each path's two halves sit symmetrically around the middle of the run.
        order = [(*path, range(half)) for path in paths] + [(*path, range(half, turns)) for path in paths[::-1]]
        for name, run, target, who, part in order:
            if part:
                echo(f"{name}: {conversations} customers x turns {part.start + 1}-{part.stop}")
                before = cpu.sample() if cpu else {}
                wall[name] += await _phase(run, http, target, who, part, samples[name])
                if cpu:
                    for process, seconds in spent(before, cpu.sample()).items():
                        used[name][process] = used[name].get(process, 0.0) + seconds
        audit = await _audit(http, url, cand + warm_cand)
    cores = cpu.cores if cpu else 1
    baseline, candor = (stats(name, samples[name], wall[name], used[name], cores) for name in ("baseline", "candor"))
    plain_stats = stats("plain", samples["plain"], wall["plain"], used["plain"], cores) if plain else None
    notes = [f"questions: {sum(map(len, pool))} from {len(pool)} articles of {kb.name}, seed {seed}; {screened}",
             "order: warm-up, then each path's first half (raw webhook, Candor" + (", plain bot" if plain else "")
             + ") and the second halves in reverse order (ABBA); client timeout "
             f"{timeout_s:.0f} s; latency percentiles over 2xx turns that went to the bot"]
    if candor.degraded:
        notes.append(f"[yellow]{candor.degraded} Candor turns got the bot-down notice or apology[/yellow]: the web app "
                     "gave up waiting for Rasa (CANDOR_RASA_TIMEOUT_S) or Rasa gave no reply, and escalated; their "
                     "latency is capped by that timeout, so the p95 ratio flatters Candor.")
    return LoadReport(conversations, turns, baseline, candor, candor.p95_ms / baseline.p95_ms, audit, notes,
                      plain_stats)


async def _audit(http: httpx.AsyncClient, url: str, customers: list[Customer]) -> Audit:
    opened = [c for c in customers if c.id]
    audit, gate = Audit(conversations=len(opened)), asyncio.Semaphore(8)

    async def one(c: Customer) -> None:
        async with gate:
            _, response, error = await _timed(http.get(f"{url}/api/conversations/{c.id}",
                                                       headers={"Authorization": f"Bearer {c.token}"}))
        if error or response is None:
            audit.unreadable += 1
            return
        body = response.json()
        stored = [m["text"] for m in body["messages"] if m["sender"] == "customer"]
        lost, duplicated, out_of_order = audit_transcript(c.acked, c.unacked, stored)
        audit.lost, audit.duplicated, audit.out_of_order = (audit.lost + lost, audit.duplicated + duplicated,
                                                            audit.out_of_order + out_of_order)
        audit.checked_messages += len(c.acked)
        audit.escalated += body.get("status") != ConversationStatus.BOT

    await asyncio.gather(*(one(c) for c in opened))
    return audit

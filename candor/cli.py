"""The ``candor`` command line."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from candor.bench_analytics import bench_analytics
from candor.bench_gaps import bench_gaps
from candor.cli_touchpoints import erase, report, touchpoints_app
from candor.settings import get_settings

if TYPE_CHECKING:  # imported where used, so `candor --help` stays quick
    from candor.eval_report import Run
    from candor.evaluation import Question
    from candor.settings import Settings
    from knowledge.calibration import Calibration
    from knowledge.search import KnowledgeSearch

    # Each question set: the seed of its typos (None: as written) and the questions.
    QuestionSets = list[tuple[int | None, list[Question]]]

app = typer.Typer(help="Candor: support assistant with a transparency knowledge base.", no_args_is_help=True)
kb_app = typer.Typer(help="Import, export and search the knowledge base.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts: agents, editors, admins.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that compare against a baseline in the same run.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench")
bench_app.command("analytics")(bench_analytics)
bench_app.command("gaps")(bench_gaps)
app.add_typer(user_app, name="user")
app.add_typer(touchpoints_app, name="touchpoints")
app.command("report")(report)
app.command("erase")(erase)
console = Console()
err = Console(stderr=True)


@app.command()
def up(
    production: Annotated[bool, typer.Option(
        "--production", help="PostgreSQL, Redis, several Rasa replicas and web workers (same as CANDOR_ENV=production)."
    )] = False,
) -> None:
    """Set up and start everything (database, model, Rasa, actions, web), then print the URLs."""
    from pydantic import ValidationError

    from candor.preflight import unreachable
    from candor.supervisor import Stack, StackError

    if production:
        os.environ["CANDOR_ENV"] = "production"
        get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as error:
        err.print("[red]Refusing to start:[/red] " + "; ".join(e["msg"].removeprefix("Value error, ")
                                                              for e in error.errors()))
        raise typer.Exit(2) from error
    if not settings.rasa_token:
        settings.rasa_token = secrets.token_urlsafe(24)
    problems = unreachable(settings) if settings.production else []
    if problems:
        err.print("[red]Refusing to start in production mode:[/red]\n  " + "\n  ".join(problems))
        raise typer.Exit(2)
    try:
        model = _set_up(settings)
    except Exception as error:
        err.print(f"[red]Set-up failed:[/red] {error}")
        raise typer.Exit(1) from error
    stack = Stack(settings, model, echo=console.print)
    _stop_on_signals()
    try:
        stack.start()
        stack.wait_healthy()
        stack.wait_ready()
        console.print(
            f"\n[bold green]Candor is running.[/bold green]\n"
            f"  Demo site    {settings.web_url}/demo   (the chat widget, as customers see it)\n"
            f"  Agents       {settings.web_url}/console\n"
            f"  Editors      {settings.web_url}/editor   (knowledge base)\n"
            f"  Analytics    {settings.web_url}/dashboard\n"
            f"  Chat API     {settings.web_url}/api/conversations\n"
            f"  API docs     {settings.web_url}/docs\n"
            f"  Health       {settings.web_url}/healthz   (ready: {settings.web_url}/readyz)\n"
            f"  Rasa (local) {', '.join(settings.rasa_urls)}\n"
            f"  Mode         {'production (PostgreSQL, Redis)' if settings.production else 'embedded (SQLite)'}\n"
            f"Press Ctrl-C to stop.\n"
        )
        stack.watch()
    except KeyboardInterrupt:
        console.print("Stopping…")
        stack.stop()
        console.print("Stopped.")
    except StackError as error:
        stack.stop()
        err.print(f"[red]A Candor process failed:[/red] {error}")
        raise typer.Exit(1) from error


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[str, typer.Option(help="agent, editor or admin.")],
    team: Annotated[list[str] | None, typer.Option(help="Team(s) an agent works for; repeat.")] = None,
    password: Annotated[str | None, typer.Option(help="Prompted for when omitted.")] = None,
    capacity: Annotated[int, typer.Option(help="Conversations an agent is given at once by auto-assignment.")] = 3,
) -> None:
    """Create a staff account."""
    from candor.db import session_scope
    from candor.migrate import upgrade
    from routing.staff import StaffError, add_user

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    upgrade()
    try:
        with session_scope() as session:
            add_user(session, name, password, role, team or [], capacity)
    except StaffError as error:
        err.print(f"[red]Cannot add {name}: {error}.[/red]")
        raise typer.Exit(2) from error
    console.print(f"Added {role} {name}" + (f" (teams: {', '.join(team)})" if team else "") + ".")


def _set_up(settings: Settings, echo: Callable[[str], None] | None = None) -> Path:
    """What every start needs before the processes: the policy checked (a bad one stops here, not
    in a child's log), the database migrated and seeded, the Rasa model trained if its data changed.
    ``candor eval --json`` sends the progress lines to stderr (stdout is the JSON)."""
    from candor.bootstrap import prepare_database
    from candor.training import ensure_model
    from routing.policy import load_policy

    echo = echo or console.print
    load_policy(settings.policy_file)
    prepare_database(settings, echo=echo)
    return ensure_model(settings, echo=echo)


def _stop_on_signals() -> None:
    """Ctrl-C and `kill` (SIGTERM) both stop the children cleanly; this also overrides the
    SIGINT-ignored state a shell gives background jobs."""
    import signal

    def _interrupt(signum: int, _frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


@app.command()
def train(force: Annotated[bool, typer.Option(help="Retrain even if the data did not change.")] = False) -> None:
    """Train the Rasa model if config.yml, domain/ or bot/data changed."""
    from candor.training import ensure_model

    try:
        path = ensure_model(get_settings(), force=force, echo=console.print)
    except RuntimeError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(str(path))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and load the sample knowledge base into an empty database."""
    from candor.bootstrap import prepare_database

    prepare_database(get_settings(), echo=console.print)
    console.print("Database is up to date.")


@kb_app.command("import")
def kb_import(file: Path) -> None:
    """Import articles from a JSON Lines file; a bad line aborts the whole import."""
    from candor.db import session_scope
    from candor.migrate import upgrade
    from knowledge.jsonl import KnowledgeFileError, import_articles, read_file
    from knowledge.store import ArticleStore

    try:
        articles = read_file(file)
    except (OSError, UnicodeDecodeError) as error:
        err.print(f"[red]Cannot read {file}: {error}[/red]")
        raise typer.Exit(2) from error
    except KnowledgeFileError as error:
        err.print(f"[red]{file}: {error}[/red]")
        raise typer.Exit(2) from error
    upgrade()
    with session_scope() as session:
        count = import_articles(ArticleStore(session), articles, author="cli")
    console.print(f"Imported {count} articles from {file}.")


@kb_app.command("export")
def kb_export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export every article as JSON Lines."""
    from candor.db import session_scope
    from knowledge.jsonl import export_articles
    from knowledge.store import ArticleStore

    with session_scope() as session:
        if out is None:
            count = export_articles(ArticleStore(session), sys.stdout)
        else:
            with out.open("w", encoding="utf-8") as handle:
                count = export_articles(ArticleStore(session), handle)
    err.print(f"Exported {count} articles.")


@kb_app.command("search")
def kb_search(query: str, k: Annotated[int, typer.Option(help="How many articles to show.")] = 5) -> None:
    """Search the published articles the way the bot does, with confidence and decision."""
    from rich.table import Table

    from knowledge.live import build_live_knowledge

    result = build_live_knowledge(get_settings()).search(query, k)
    console.print(f"decision: [bold]{result.decision}[/bold]   confidence: {result.confidence:.3f}")
    table = Table("rank", "article", "kind", "score", "passage")
    for rank, hit in enumerate(result.hits, 1):
        table.add_row(str(rank), hit.article_id, hit.kind, f"{hit.score:.3f}", hit.passage[:90])
    console.print(table)


@app.command("eval")
def evaluate(
    kb: Annotated[Path | None, typer.Option(help="Knowledge file (JSON Lines); with --url only a label.")] = None,
    questions: Annotated[Path | None, typer.Option(
        help='Questions: {"text", "expected": id | [ids] | null, "escalate"?: bool} per line.')] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    through_bot: Annotated[bool, typer.Option(
        "--through-bot", help="Each question as the first message of a new conversation through the API.")] = False,
    both: Annotated[bool, typer.Option("--both", help="Search + routing and through the bot, side by side.")] = False,
    url: Annotated[str | None, typer.Option(help="A running web app (else the bot modes start a stack).")] = None,
    staff_token: Annotated[str | None, typer.Option(
        envvar="CANDOR_EVAL_STAFF_TOKEN", help="With --url: an editor/admin bearer token, to read what the bot saw.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Score a random sample of this many questions.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the --limit sample.")] = 0,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Conversations in flight at once.")] = 4,
    timeout: Annotated[float, typer.Option(help="Seconds before a request counts as an error.")] = 60.0,
    perturb: Annotated[int | None, typer.Option(
        help="Also score a copy with seeded typos and casing (this seed).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="After the figures, what the bot saw on each miss.")
                       ] = False,
) -> None:
    """Score the bot's answer-or-escalate decision on labelled questions: in-process search + routing,
    or through the running bot."""
    import json

    from candor import eval_report
    from candor.evaluation import read_questions
    from candor.perturb import perturb_questions

    bot = through_bot or both
    if questions is None or (kb is None and not (url and through_bot and not both)):
        err.print("[red]Give --questions and --kb (--kb may be left out only with --through-bot --url).[/red]")
        raise typer.Exit(2)
    if url and not bot:
        err.print("[red]--url is for the bot: add --through-bot or --both.[/red]")
        raise typer.Exit(2)
    try:
        items = read_questions(questions)
        if kb is not None:
            _check_kb(kb)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if limit is not None and limit < len(items):
        import random

        items = [items[i] for i in sorted(random.Random(seed).sample(range(len(items)), limit))]
    sets: QuestionSets = [(None, items)]
    if perturb is not None:
        sets.append((perturb, perturb_questions(items, perturb)))
    # The checks above leave kb out only for --through-bot alone.
    runs = _search_runs(kb, sets) if kb is not None and (not through_bot or both) else []
    if bot:
        runs += _bot_runs(kb, sets, url, staff_token, concurrency, timeout)
    kb_name, questions_name = str(kb) if kb else url or "", str(questions)
    if as_json:
        console.print_json(json.dumps(eval_report.as_json(runs, kb_name, questions_name)))
    else:
        console.print(eval_report.table(runs, f"{questions.name} against {kb_name}"))
        for run in runs:
            if run.errors:
                err.print(f"[yellow]{run.label}: {len(run.errors)} questions failed (HTTP errors or timeouts) "
                          "and are left out of its figures.[/yellow]")
    if explain:
        eval_report.explain(runs, err if as_json else console)


def _check_kb(kb: Path) -> None:
    """A bad knowledge file stops the command before any indexing or stack start."""
    from knowledge.jsonl import read_file

    read_file(kb)


def _search_runs(kb: Path, sets: QuestionSets) -> list[Run]:
    """The clean questions (and the perturbed copy) through the bot's search + routing, in-process."""
    from functools import partial

    from rich.progress import Progress

    from candor import evaluation
    from candor.eval_report import Run
    from knowledge.calibration import load_calibration
    from routing.policy import Router

    with Progress(console=err, transient=True) as progress:
        progress.add_task(f"indexing {kb.name}", total=None)
        search = _search_over(kb, load_calibration(get_settings().calibration_file))
        search.search("warm-up")
    runs = []
    for seed, items in sets:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("search + routing" + (f", typos {seed}" if seed is not None else ""),
                                     total=len(items))
            runs.append(Run("search", seed, evaluation.run(search, Router(), items, partial(progress.advance, task))))
    return runs


def _bot_runs(kb: Path | None, sets: QuestionSets, url: str | None, token: str | None,
              concurrency: int, timeout: float) -> list[Run]:
    """The same questions through the public API of a running stack, or of one started for the run."""
    import asyncio
    from contextlib import AbstractContextManager, nullcontext
    from functools import partial

    from rich.progress import Progress

    from candor.eval_bot import own_stack, run_through_bot
    from candor.eval_report import Run
    from candor.supervisor import StackError

    if url:
        import httpx

        try:
            httpx.get(f"{url}/healthz", timeout=10)
        except httpx.HTTPError as error:
            err.print(f"[red]Cannot reach {url}: {error}[/red]")
            raise typer.Exit(1) from error
        err.print("Through the bot at " + url + ": it answers from its own knowledge base"
                  + ("" if token else "; no staff token, so misses are explained from the replies alone") + ".")
    else:
        err.print(f"Starting a stack of its own answering from {kb} (temporary database, free ports, "
                  "business hours always open, customer rate limits raised)…")
        _stop_on_signals()
    started: AbstractContextManager[tuple[str, str | None]]
    if url:
        started = nullcontext((url, token))
    elif kb is not None:
        started = own_stack(kb, lambda s: _set_up(s, echo=err.print), err.print)
    else:  # `candor eval` asks for --kb unless --url is given
        raise ValueError("A stack of its own needs the knowledge file (--kb).")
    runs = []
    try:
        with started as (web_url, staff_token):
            for seed, items in sets:
                with Progress(console=err, transient=True) as progress:
                    task = progress.add_task("through the bot" + (f", typos {seed}" if seed is not None else ""),
                                             total=len(items))
                    result = asyncio.run(run_through_bot(
                        web_url, items, concurrency=concurrency, timeout_s=timeout, staff_token=staff_token,
                        progress=partial(progress.advance, task)))
                runs.append(Run("bot", seed, result.outcomes, result.errors))
    except KeyboardInterrupt:
        err.print("Interrupted; no figures.")
        raise typer.Exit(130) from None
    except StackError as error:
        err.print(f"[red]The evaluation stack failed:[/red] {error}")
        raise typer.Exit(1) from error
    except Exception as error:  # as in `candor up`: policy, database, training, sign-in
        if url:
            raise
        err.print(f"[red]Could not run the evaluation stack:[/red] {error}")
        raise typer.Exit(1) from error
    return runs


@app.command()
def calibrate(
    data: Annotated[list[Path], typer.Argument(help="Folders holding kb.jsonl and dev-questions.jsonl.")],
    out: Annotated[Path, typer.Option(help="Calibration file to write.")] = Path("knowledge/calibration.yml"),
    max_false_escalation: Annotated[
        float, typer.Option(help="Share of answerable questions you accept sending to a person.")
    ] = 0.06,
) -> None:
    """Fit the search confidence and answer threshold on labelled development questions."""
    import dataclasses
    from datetime import date

    import numpy as np

    from candor import evaluation
    from knowledge import calibration as cal

    sets, all_features, all_correct = [], [], []
    for folder in data:
        if "heldout" in folder.resolve().parts:
            err.print("[red]Held-out data is for final reporting only; calibrate on development data.[/red]")
            raise typer.Exit(2)
        search = _search_over(folder / "kb.jsonl")
        questions = evaluation.read_questions(folder / "dev-questions.jsonl")
        features, correct = evaluation.calibration_data(search, questions)
        answerable = np.array([q.answerable for q in questions])
        sets.append((features, correct, answerable))
        all_features.append(features)
        all_correct.append(correct)
        err.print(f"{folder.name}: {len(questions)} questions, first hit right for {correct.mean():.3f}")
    fitted = cal.fit(np.vstack(all_features), np.concatenate(all_correct))
    fitted = dataclasses.replace(fitted, fitted_on=[f.name for f in data])
    fitted = dataclasses.replace(fitted, threshold=evaluation.best_threshold(sets, fitted, max_false_escalation))
    cal.save_calibration(
        fitted, out,
        f"Fitted by `candor calibrate {' '.join(str(d) for d in data)}` on {date.today()}.\n"
        "confidence = sigmoid(bias + sum(weights * (features - means) / scales)); the bot answers\n"
        "when confidence >= threshold and the top article's similarity >= min_similarity (the 1st\n"
        "percentile for right answers); threshold is the one maximising answer accuracy + escalation recall with\n"
        f"at most {max_false_escalation:.0%} of answerable questions escalated (mean over the sets).",
    )
    console.print(f"Wrote {out} (threshold {fitted.threshold}).")


@bench_app.command("search")
def bench_search(
    sizes: Annotated[str, typer.Option(help="Comma-separated article counts.")] = "1000,10000,100000",
    queries: Annotated[int, typer.Option(help="Queries per size.")] = 200,
) -> None:
    """Index build time and query p50/p95: FAISS next to brute-force numpy, same run."""
    from rich.table import Table

    from candor.bench import bench_embedding, bench_threads
    from candor.bench import bench_search as run_bench
    from knowledge.embedder import Embedder

    rows = run_bench([int(s) for s in sizes.split(",")], queries)
    table = Table("articles", "index", "build s", "query p50 ms", "query p95 ms",
                  "query speed vs baseline", "recall@10 vs exact",
                  title="Vector search over 3 units per article (384-d, k=64)")
    baseline: dict[int, float] = {}
    for row in rows:
        baseline.setdefault(row.articles, row.p50_ms)
        table.add_row(f"{row.articles:,}", row.index, f"{row.build_s:.3f}", f"{row.p50_ms:.2f}",
                      f"{row.p95_ms:.2f}", f"{baseline[row.articles] / row.p50_ms:.2f}x", f"{row.recall_at_10:.3f}")
    console.print(table)
    texts = [f"how much does the plan number {i} cost per month with fees" for i in range(512)]
    embedder = Embedder()
    rate, single = bench_embedding(texts, embedder)
    console.print(f"MiniLM embedding: {rate:,.0f} texts/s batched, {single:.1f} ms per single query (p50)")
    threads = Table("torch threads", "CPU ms per query", "wall ms per query", "CPU vs 1 thread",
                    title="One query at a time (as the action server encodes), by thread count")
    per_threads = bench_threads(texts[:200], embedder)
    for count, cpu_ms, wall_ms in per_threads:
        threads.add_row(str(count), f"{cpu_ms:.1f}", f"{wall_ms:.1f}", f"{cpu_ms / per_threads[0][1]:.2f}x")
    console.print(threads)


@bench_app.command("load")
def bench_load(
    conversations: Annotated[int, typer.Option(help="Concurrent customers, one conversation each.")] = 50,
    turns: Annotated[int, typer.Option(help="Messages per conversation, each sent after the reply.")] = 10,
    url: Annotated[str | None, typer.Option(help="A running web app; without it the bench starts a stack.")] = None,
    rasa_url: Annotated[str | None, typer.Option(help="That stack's Rasa server(s), comma-separated.")] = None,
    warmup: Annotated[int, typer.Option(help="Unmeasured turns per warm-up customer on each path.")] = 2,
    seed: Annotated[int, typer.Option(help="Seed for the questions, so runs are comparable.")] = 7,
    timeout: Annotated[float, typer.Option(help="Seconds before a request counts as timed out.")] = 30.0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the figures to this file.")] = None,
    kill_every: Annotated[float | None, typer.Option(
        help="Soak: SIGKILL a random process of the bench's own stack every N seconds (restarted by the "
             "supervisor); the target becomes 0 lost and < 1 % errors.")] = None,
) -> None:
    """Concurrent conversations through Candor's API beside the same turns sent straight to Rasa, then
    check that every acknowledged message was stored once, in order. Exit 1 on a loss or >= 0.1 % errors."""
    import asyncio
    import json

    from candor.load import run_load
    from candor.load_cpu import CpuMeter
    from candor.load_report import as_json, render
    from candor.supervisor import Stack, StackError

    if (url is None) != (rasa_url is None):
        err.print("[red]Give both --url and --rasa-url, or neither (the bench then starts its own stack).[/red]")
        raise typer.Exit(2)
    if kill_every is not None and url is not None:
        err.print("[red]--kill-every kills processes of the bench's own stack; leave out --url.[/red]")
        raise typer.Exit(2)
    settings, stack = get_settings(), None
    if url is None:  # the same preparation as `candor up`, with the customer rate limits out of the way
        settings.rasa_token = settings.rasa_token or secrets.token_urlsafe(24)
        settings.rate_limit_ip = settings.rate_limit_conversation = "1000000/minute"
        console.print("Own stack: rate limits per address and per conversation raised to 1000000/minute "
                      "for this run (a running stack given with --url keeps its own; 429s count as errors).")
        try:
            stack = Stack(settings, _set_up(settings), echo=console.print)
            _stop_on_signals()
            stack.start()
            stack.wait_healthy()
        except KeyboardInterrupt:  # the children run in sessions of their own: Ctrl-C does not reach them
            if stack:
                stack.stop()
            err.print("Interrupted while starting; no figures.")
            raise typer.Exit(130) from None
        except Exception as error:  # as in `candor up`: policy, database, training or a child
            if stack:
                stack.stop()
            err.print(f"[red]Could not start a stack for the bench:[/red] {error}")
            raise typer.Exit(1) from error
        url, rasa_url = settings.web_url, ",".join(settings.rasa_urls)
    from contextlib import nullcontext

    from candor.load_chaos import Chaos

    chaos = (Chaos(stack, kill_every, [c.name for c in stack.children], console.print, seed)
             if stack and kill_every else None)
    if url is None or rasa_url is None:  # cannot happen: both were given, or both set from the stack above
        raise typer.Exit(2)
    try:
        with chaos or nullcontext():
            report = asyncio.run(run_load(url, rasa_url.split(","), settings.sample_kb, settings.policy_file,
                                          settings.rasa_token, conversations, turns, warmup, seed, timeout,
                                          echo=console.print, cpu=CpuMeter(stack.pids() if stack else {})))
        if chaos and chaos.failure:
            raise chaos.failure
        if stack and not chaos:
            stack.check_alive()  # a child that died during the run is reported, not hidden
    except KeyboardInterrupt:
        err.print("Interrupted; no figures." + (" Stopping the stack." if stack else ""))
        raise typer.Exit(130) from None
    except StackError as error:
        err.print(f"[red]A Candor process failed during the bench:[/red] {error}")
        raise typer.Exit(1) from error
    finally:
        if stack:
            stack.stop()
    passed = report.passed
    if chaos:
        report.notes.append(chaos.note() + "; soak target: 0 acknowledged messages lost, < 1 % errors")
        passed = report.audit.ok and report.candor.error_rate_pct < 1.0
    render(report, console)
    if json_path:
        json_path.write_text(json.dumps(as_json(report), indent=2))
        console.print(f"Wrote {json_path}.")
    raise typer.Exit(0 if passed else 1)


def _search_over(kb: Path, calibration: Calibration | None = None) -> KnowledgeSearch:
    from candor import evaluation
    from knowledge.embedder import Embedder, EmbeddingCache
    from knowledge.search import KnowledgeSearch

    settings = get_settings()
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite", settings.embedding_model)
    search = KnowledgeSearch(Embedder(cache), calibration)
    search.upsert(evaluation.docs_from_file(kb))
    search.prepare()
    return search


if __name__ == "__main__":
    app()

"""Judgment: `candor eval` (search + routing, or through the running bot) and `candor calibrate`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from candor.cli.common import console, err, search_over, set_up, stop_on_signals
from candor.settings import get_settings

if TYPE_CHECKING:
    from candor.eval_report import Run
    from candor.evaluation import Question

    # Each question set: the seed of its typos (None: as written) and the questions.
    QuestionSets = list[tuple[int | None, list[Question]]]


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
        search = search_over(kb, load_calibration(get_settings().calibration_file))
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
        stop_on_signals()
    started: AbstractContextManager[tuple[str, str | None]]
    if url:
        started = nullcontext((url, token))
    elif kb is not None:
        started = own_stack(kb, lambda s: set_up(s, echo=err.print), err.print)
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
        search = search_over(folder / "kb.jsonl")
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

"""`candor bench`: benchmarks that compare against a baseline in the same run."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from candor.bench_analytics import bench_analytics
from candor.bench_gaps import bench_gaps
from candor.cli.common import console, err, set_up, stop_on_signals
from candor.settings import get_settings

bench_app = typer.Typer(help="Benchmarks that compare against a baseline in the same run.", no_args_is_help=True)
bench_app.command("analytics")(bench_analytics)
bench_app.command("gaps")(bench_gaps)


@bench_app.command("search")
def bench_search(
    sizes: Annotated[str, typer.Option(help="Comma-separated article counts.")] = "1000,10000,100000",
    queries: Annotated[int, typer.Option(help="Queries per size.")] = 200,
) -> None:
    """Index build time and query p50/p95: FAISS next to brute-force numpy, same run."""
    import numpy as np
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
    # One thread each, as the stack's processes run (settings.compute_threads).
    os.environ["OMP_NUM_THREADS"] = str(get_settings().compute_threads)
    embedder = Embedder()
    onnx = Embedder(onnx_dir=get_settings().cache_dir)  # as the stack embeds (knowledge.onnx_runtime)
    runtimes = Table("runtime", "texts/s batched", "ms per single query (p50)", "CPU ms per single query",
                     "largest difference from PyTorch", title="MiniLM embedding, PyTorch (baseline) and ONNX Runtime")
    reference = embedder.encode_transient(texts[:64])
    for name, each in (("PyTorch", embedder), (f"ONNX Runtime ({onnx.runtime})", onnx)):
        rate, single = bench_embedding(texts, each)
        [(_, cpu_ms, _)] = bench_threads(texts[:100], each, counts=(1,))
        difference = float(np.abs(each.encode_transient(texts[:64]) - reference).max())
        runtimes.add_row(name, f"{rate:,.0f}", f"{single:.1f}", f"{cpu_ms:.1f}", f"{difference:.1e}")
    console.print(runtimes)
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
    plain_rasa: Annotated[bool, typer.Option(
        help="Also serve a plain `rasa init` bot (trained once, cached in var/bench) as a second baseline.")] = True,
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
            stack = Stack(settings, set_up(settings), echo=console.print)
            stop_on_signals()
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
    from candor.rasa_init_bot import PlainRasa, init_model

    try:
        plain = PlainRasa(settings, init_model(settings, console.print)) if plain_rasa else None
        with chaos or nullcontext(), plain or nullcontext():
            pids = {**(stack.pids() if stack else {}), **({"rasa-init": plain.pid} if plain else {})}
            report = asyncio.run(run_load(url, rasa_url.split(","), settings.sample_kb, settings.policy_file,
                                          settings.rasa_token, conversations, turns, warmup, seed, timeout,
                                          echo=console.print, cpu=CpuMeter(pids),
                                          plain_url=plain.url if plain else None))
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
    except RuntimeError as error:  # the plain `rasa init` bot could not be trained or started
        err.print(f"[red]{error}[/red]")
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


@bench_app.command("rasa")
def bench_rasa(
    variants: Annotated[str | None, typer.Option(
        help="Comma-separated variant names (default: all); the first is the baseline.")] = None,
    keep: Annotated[Path | None, typer.Option(help="Keep the trained models and logs in this folder.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the rows to this file.")] = None,
) -> None:
    """Rasa's pipeline part by part: training time, CPU per turn and the NLU quality each buys."""
    import json
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from candor.bench_rasa import VARIANTS, run_bench

    names = [name.strip() for name in variants.split(",")] if variants else list(VARIANTS)
    try:
        rows = run_bench(get_settings(), names, lambda line: console.print(line), keep)
    except (ValueError, RuntimeError) as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    table = Table("variant", "train s", "train CPU s", "NLU CPU ms/turn", "policies CPU ms/turn",
                  "CPU vs first", "intent accuracy", "macro F1", "KB questions kept",
                  "person asks routed", "stories failed",
                  title="Rasa pipeline variants (trained on 80% of the NLU examples; held-back 20% scored)")
    first = rows[0].nlu_cpu_ms + rows[0].policy_cpu_ms
    for row in rows:
        table.add_row(row.variant, f"{row.train_wall_s:.0f}", f"{row.train_cpu_s:.0f}", f"{row.nlu_cpu_ms:.1f}",
                      f"{row.policy_cpu_ms:.1f}", f"{(row.nlu_cpu_ms + row.policy_cpu_ms) / first:.2f}x",
                      f"{row.intent_accuracy:.3f}", f"{row.intent_macro_f1:.3f}", f"{row.kb_kept:.3f}",
                      f"{row.person_routed:.3f}", str(row.stories_failed))
    Console(width=max(console.width, 200)).print(table)  # eleven columns: never folded into a log's 80
    if json_path:
        json_path.write_text(json.dumps([asdict(row) for row in rows], indent=2))
        console.print(f"Wrote {json_path}.")

"""Soak under faults: ``candor bench load --kill-every S`` SIGKILLs a random process of the bench's
own stack while the load runs, and the supervisor restarts it, as a crash in production would be.
The load report then says what the customers saw (errors) and whether anything acknowledged was
lost (the transcript audit)."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from candor.supervisor import Stack, StackError


@dataclass
class Chaos:
    stack: Stack
    every_s: float
    names: list[str]
    echo: Callable[[str], None] = print
    seed: int = 7
    kills: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, process)
    failure: StackError | None = None  # the supervisor gave up on a crash loop
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Chaos:
        for target in (self._kill_loop, self._supervise_loop):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _kill_loop(self) -> None:
        rng = random.Random(self.seed)
        while not self._stop.wait(self.every_s):
            name = rng.choice(self.names)
            child = self.stack.child(name)
            if child.state != "running" or child.process is None or child.process.poll() is not None:
                continue  # still coming back from the last kill
            workers = web_workers(child.process.pid) if name == "web" else []
            if workers:  # several web workers: one dies, as a worker crash would; uvicorn replaces it
                victim = rng.choice(workers)
                os.kill(victim, signal.SIGKILL)
            else:
                victim = child.process.pid
                os.killpg(victim, signal.SIGKILL)
            self.kills.append((time.monotonic(), name))
            self.echo(f"soak: killed {name}{' worker' if workers else ''} (pid {victim})")

    def _supervise_loop(self) -> None:
        # The bench is not `candor up`'s watch loop, so it restarts what it killed itself.
        while not self._stop.wait(0.5):
            try:
                self.stack.supervise()
            except StackError as error:
                self.failure = error
                return

    def note(self) -> str:
        counts: dict[str, int] = {}
        for _, name in self.kills:
            counts[name] = counts.get(name, 0) + 1
        killed = ", ".join(f"{name} x{n}" for name, n in sorted(counts.items())) or "nothing"
        restarts = ", ".join(f"{c.name} {c.restarts}" for c in self.stack.children if c.restarts) or "none"
        return f"soak: killed {killed} (every {self.every_s:.0f} s); restarts: {restarts}"


def web_workers(pid: int) -> list[int]:
    """The worker processes of a uvicorn started with --workers (not multiprocessing's tracker)."""
    try:
        children = psutil.Process(pid).children()
    except psutil.Error:
        return []
    workers = []
    for child in children:
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                workers.append(child.pid)
        except psutil.Error:
            continue
    return workers

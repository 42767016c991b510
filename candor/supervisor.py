"""Start Rasa, the action server and the web app; restart any that dies; stop them all together.

A crashed process is restarted with backoff while the others keep serving (the web app
degrades meanwhile: an apology and a person while the action server is away, the queue while
Rasa is, the other replica in production). Only a process that keeps crashing fast makes the
supervisor give up, naming it and quoting its log. Written here rather than with supervisord
or circus: the children need the settings' environment, health URLs and two virtualenvs that
``candor up`` already knows, tests drive the same class in-process, and the whole policy is a
few dozen lines. Production hosts can run the same processes under systemd (README).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from candor.rasa_endpoints import write_endpoints
from candor.settings import Settings
from candor.training import RASA_OFFLINE

# Read by torch (OpenMP), MKL and Rasa's TensorFlow set-up when each child starts.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS",
               "TF_INTER_OP_PARALLELISM_THREADS")


# Seconds to wait before the n-th restart in a row; a process up for CRASH_WINDOW_S starts afresh.
RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0)
CRASH_WINDOW_S = 120.0
GIVE_UP_AFTER = len(RESTART_DELAYS) + 1  # crashes within the window


class StackError(RuntimeError):
    pass


@dataclass
class Child:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    crashes: list[float] = field(default_factory=list)  # monotonic times of recent deaths
    restarts: int = 0
    last_exit_code: int | None = None
    last_death_at: str | None = None  # ISO time, for /healthz and the console
    restart_at: float | None = None  # monotonic time a restart is due

    @property
    def state(self) -> str:
        return "restarting" if self.restart_at is not None else "running"

    def started(self) -> subprocess.Popen[bytes]:
        """The process, which exists from the child's first spawn on."""
        if self.process is None:
            raise StackError(f"{self.name} has not been started.")
        return self.process

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def child_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        **settings.as_environment(),  # every setting, by construction (tests/test_settings_env.py)
        **RASA_OFFLINE,
        **{var: str(settings.compute_threads) for var in THREAD_VARS},
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONUNBUFFERED": "1",
    }


class Stack:
    """The three processes of one Candor instance."""

    def __init__(self, settings: Settings, model: Path, echo: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.echo = echo
        logs = settings.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        s, root = settings, settings.root
        endpoints = write_endpoints(settings)
        rasa = [
            Child(
                f"rasa-{i + 1}" if s.rasa_replicas > 1 else "rasa",
                [
                    # `rasa run` with its action-response schema checked once (bot/rasa_server.py).
                    str(s.rasa_venv / "bin" / "python"), str(root / "bot" / "rasa_server.py"),
                    "run", "--model", str(model), "--enable-api",
                    f"--auth-token={s.rasa_token}", "--interface", s.host, "--port", str(s.rasa_port + i),
                    "--endpoints", str(endpoints), "--credentials", str(root / "bot" / "credentials.yml"),
                ],
                f"{url}/status?token={s.rasa_token}",
                logs / f"rasa-{i + 1}.log" if s.rasa_replicas > 1 else logs / "rasa.log",
            )
            for i, url in enumerate(s.rasa_urls)
        ]
        workers = ["--workers", str(s.web_workers)] if s.web_workers > 1 else []
        self.children = [
            *rasa,
            Child(
                "actions",
                [sys.executable, "-m", "candor.action_server", "--host", s.host, "--port", str(s.actions_port)],
                f"{s.actions_url}/health",
                logs / "actions.log",
            ),
            Child(
                "web",
                [
                    sys.executable, "-m", "uvicorn", "--factory", "web.app:app_factory",
                    "--host", s.host, "--port", str(s.web_port), "--no-access-log", *workers,
                ],
                f"{s.web_url}/healthz",
                logs / "web.log",
            ),
        ]

    def start(self) -> None:
        first, *later = self.children[: self.settings.rasa_replicas]
        for child in [first, *self.children[self.settings.rasa_replicas:]]:
            self._spawn(child)
        if later:
            # The first replica creates Rasa's tracker database and tables; replicas starting
            # at the same moment race to create them too (duplicate-key errors in their logs).
            self.wait_healthy(children=[first])
            for child in later:
                self._spawn(child)

    def _spawn(self, child: Child) -> None:
        out = child.log_path.open("ab")
        child.process = subprocess.Popen(
            child.command, cwd=self.settings.root, env=child_env(self.settings), stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self.echo(f"started {child.name} (pid {child.process.pid}), log: {child.log_path}")

    def pids(self) -> dict[str, int]:
        return {c.name: c.process.pid for c in self.children if c.process}

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def kill(self, name: str) -> None:
        """SIGKILL one process, as a crash would (fault tests)."""
        process = self.child(name).started()
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def restart(self, name: str, timeout_s: float = 240) -> None:
        child = self.child(name)
        self._spawn(child)
        self.wait_healthy(timeout_s, [child])

    def wait_healthy(self, timeout_s: float = 240, children: list[Child] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        pending = list(children or self.children)
        while pending:
            self.check_alive()
            for child in list(pending):
                try:
                    if httpx.get(child.health_url, timeout=2).status_code == 200:
                        self.echo(f"{child.name} is healthy")
                        pending.remove(child)
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                names = ", ".join(c.name for c in pending)
                raise StackError(f"Not healthy after {timeout_s:.0f}s: {names}. " + self._tails(pending))
            time.sleep(0.5)

    def wait_ready(self, timeout_s: float = 240) -> None:
        """Until the web app's /readyz says a customer's turn would be answered (model loaded,
        knowledge index warm, database migrated)."""
        deadline, url = time.monotonic() + timeout_s, f"{self.settings.web_url}/readyz"
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                response = httpx.get(url, timeout=10)
                if response.status_code == 200:
                    self.echo("ready: a customer's turn would be answered")
                    return
                body = response.json()
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        missing = [f"{name}: {c.get('detail', 'not ready')}" for name, c in body.get("components", {}).items()
                   if not c.get("ok")]
        raise StackError(f"Not ready after {timeout_s:.0f}s: " + ("; ".join(missing) or "no answer from /readyz"))

    def check_alive(self) -> None:
        """Raise with the child's log tail when one has exited: a crash is never ignored."""
        dead = [c for c in self.children if c.process and c.process.poll() is not None]
        if dead:
            codes = ", ".join(f"{c.name} exited with code {c.started().returncode}" for c in dead)
            raise StackError(codes + ". " + self._tails(dead))

    def _tails(self, children: list[Child]) -> str:
        return "\n".join(f"--- last lines of {c.log_path}:\n{c.log_tail()}" for c in children)

    def supervise(self, now: float | None = None) -> None:
        """One round of the watch loop: note deaths, restart what is due, give up on a crash loop."""
        now = time.monotonic() if now is None else now
        changed = False
        for child in self.children:
            if child.restart_at is None and child.process and child.process.poll() is not None:
                self._died(child, now)
                changed = True
            if child.restart_at is not None and now >= child.restart_at:
                child.restart_at = None
                child.restarts += 1
                self._spawn(child)
                changed = True
        if changed:
            self.write_status()

    def _died(self, child: Child, now: float) -> None:
        process = child.started()
        child.last_exit_code = process.returncode
        try:  # what the dead process started (uvicorn's workers, say) must not keep its port
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        child.last_death_at = datetime.now(UTC).isoformat(timespec="seconds")
        child.crashes = [t for t in child.crashes if now - t < CRASH_WINDOW_S] + [now]
        if len(child.crashes) >= GIVE_UP_AFTER:
            raise StackError(
                f"{child.name} crashed {len(child.crashes)} times in {CRASH_WINDOW_S:.0f}s (last exit code "
                f"{child.last_exit_code}); giving up. " + self._tails([child]))
        delay = RESTART_DELAYS[len(child.crashes) - 1]
        child.restart_at = now + delay
        self.echo(f"{child.name} exited with code {child.last_exit_code}; restarting it in {delay:.0f}s "
                  f"(crash {len(child.crashes)} in the last {CRASH_WINDOW_S / 60:.0f} min). "
                  f"Its last log line: {child.log_tail(1)}")

    @property
    def status_path(self) -> Path:
        return self.settings.var_dir / "run" / "processes.json"

    def write_status(self) -> None:
        """What /healthz and the console show of the processes (written on every change)."""
        status = {
            c.name: {"state": c.state, "pid": c.process.pid if c.process else None, "restarts": c.restarts,
                     "last_exit_code": c.last_exit_code, "last_death_at": c.last_death_at}
            for c in self.children
        }
        self.status_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.status_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"processes": status}))
        temporary.replace(self.status_path)

    def stop(self, timeout_s: float = 15) -> None:
        for child in reversed(self.children):
            if child.process and child.process.poll() is None:
                os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in self.children:
            if not child.process:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.status_path.unlink(missing_ok=True)

    def watch(self) -> None:
        """Block until Ctrl-C (clean stop) or a crash loop (StackError); restart what dies meanwhile."""
        self.write_status()
        try:
            while True:
                self.supervise()
                time.sleep(0.5)
        finally:
            self.stop()

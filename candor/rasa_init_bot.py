"""A plain ``rasa init`` bot, trained and served by ``candor bench load`` as the yardstick.

The bot is exactly what ``rasa init --no-prompt`` makes with the same pinned Rasa (its default
pipeline and policies, the moodbot data); it has no custom actions, so a turn costs only Rasa's
own NLU and policies. The trained model is cached under ``var/bench`` (by Rasa's version), so only
the first bench run pays its training.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import httpx

from candor.ports import free_port
from candor.settings import Settings
from candor.training import rasa_bin, rasa_env


def _rasa_version(settings: Settings) -> str:
    lock = settings.root / "bot" / "rasa-runtime.lock"
    for line in lock.read_text().splitlines():
        if line.lower().startswith("rasa=="):
            return line.split("==", 1)[1].strip()
    return "unknown"


def init_model(settings: Settings, echo: Callable[[str], None] = print) -> Path:
    """The cached plain bot's model, made by ``rasa init --no-prompt`` the first time."""
    target = settings.var_dir / "bench" / f"rasa-init-{_rasa_version(settings)}.tar.gz"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    echo("Training a plain `rasa init` bot for comparison (once; cached in var/bench)…")
    with tempfile.TemporaryDirectory(prefix="candor-rasa-init-") as folder:
        project = Path(folder) / "bot"
        project.mkdir()  # `rasa init --no-prompt` wants an existing, empty folder
        log = settings.var_dir / "logs" / "rasa-init-train.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with log.open("w") as out:
            result = subprocess.run([str(rasa_bin(settings)), "init", "--no-prompt", "--init-dir", str(project)],
                                    cwd=folder, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT)
        models = sorted((project / "models").glob("*.tar.gz"))
        if result.returncode != 0 or not models:
            raise RuntimeError(f"`rasa init` failed (exit {result.returncode}); see {log}")
        shutil.move(models[-1], target)
        echo(f"Plain `rasa init` bot trained in {time.perf_counter() - started:.0f} s.")
    return target


class PlainRasa:
    """``with PlainRasa(settings) as bot:`` a plain Rasa server on a free loopback port (``bot.url``)."""

    def __init__(self, settings: Settings, model: Path, echo: Callable[[str], None] = print) -> None:
        self.settings, self.model, self.echo = settings, model, echo
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = settings.var_dir / "logs" / "rasa-init.log"

    def __enter__(self) -> PlainRasa:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [str(rasa_bin(self.settings)), "run", "--enable-api", "--port", str(self.port), "--interface",
                 "127.0.0.1", "--model", str(self.model)],
                cwd=self.settings.var_dir, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        self._wait()
        return self

    def _wait(self, timeout_s: float = 240) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"The plain Rasa server exited ({self.process.returncode}); see {self.log}")
            try:
                if httpx.get(f"{self.url}/status", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise RuntimeError(f"The plain Rasa server did not load its model in {timeout_s:.0f} s; see {self.log}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

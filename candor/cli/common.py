"""What several command groups share: the consoles, the set-up before a start, signal handling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console

from candor.settings import get_settings

if TYPE_CHECKING:  # imported where used, so `candor --help` stays quick
    from candor.settings import Settings
    from knowledge.calibration import Calibration
    from knowledge.search import KnowledgeSearch

console = Console()
err = Console(stderr=True)


class Steps:
    """Numbered progress lines with each step's time, so a first start shows where its minutes go."""

    def __init__(self, total: int, echo: Callable[[str], None]) -> None:
        self.total, self.echo, self.number = total, echo, 0

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        self.number += 1
        started = time.monotonic()
        self.echo(f"[{self.number}/{self.total}] {label}…")
        yield
        self.echo(f"[{self.number}/{self.total}] {label}: done in {time.monotonic() - started:.0f} s")


def set_up(settings: Settings, echo: Callable[[str], None] | None = None, steps: Steps | None = None) -> Path:
    """What every start needs before the processes: the policy checked (a bad one stops here, not
    in a child's log), the database migrated and seeded, the Rasa model trained if its data changed.
    ``candor eval --json`` sends the progress lines to stderr (stdout is the JSON)."""
    from candor.bootstrap import prepare_database
    from candor.training import ensure_model
    from routing.policy import load_policy

    echo = echo or console.print
    steps = steps or Steps(3, echo)
    with steps.step("Checking the routing policy"):
        load_policy(settings.policy_file)
    with steps.step("Preparing the database and the sample knowledge base"):
        prepare_database(settings, echo=echo)
    with steps.step("Rasa model"):
        return ensure_model(settings, echo=echo)


def stop_on_signals() -> None:
    """Ctrl-C and `kill` (SIGTERM) both stop the children cleanly; this also overrides the
    SIGINT-ignored state a shell gives background jobs."""
    import signal

    def _interrupt(signum: int, _frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def search_over(kb: Path, calibration: Calibration | None = None) -> KnowledgeSearch:
    """A search over a JSONL knowledge base, prepared in memory (evaluation and calibration)."""
    from candor import evaluation
    from knowledge.embedder import Embedder
    from knowledge.search import KnowledgeSearch

    settings = get_settings()
    search = KnowledgeSearch(Embedder.in_cache_dir(settings.cache_dir, settings.embedding_model), calibration)
    search.upsert(evaluation.docs_from_file(kb))
    search.prepare()
    return search

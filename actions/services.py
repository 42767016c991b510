"""What actions depend on, built once on first use (never at import time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from candor.settings import get_settings
from knowledge.live import LiveKnowledge, build_live_knowledge
from routing.policy import Router, load_policy


@dataclass
class Services:
    knowledge: LiveKnowledge
    router: Router
    # Business hours depend on the time; tests pin it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@lru_cache
def default_services() -> Services:
    settings = get_settings()
    return Services(knowledge=build_live_knowledge(settings), router=Router(load_policy(settings.policy_file)))

"""What actions depend on, built once on first use (never at import time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from candor.settings import get_settings
from knowledge.live import LiveKnowledge, build_live_knowledge
from routing.policy import Router, load_policy
from touchpoints.spool import EventSpool, record_durably


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


@lru_cache
def event_spool() -> EventSpool:
    return EventSpool(get_settings().event_spool)


def record_event(conversation_id: str, kind: str, **data: Any) -> bool:
    """Log a conversation event without ever failing the turn: retried, else spooled for the web app."""
    return record_durably(event_spool(), conversation_id, kind, **data)

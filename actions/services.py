"""What actions depend on, built once on first use (never at import time)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np

from candor.settings import get_settings
from knowledge.live import LiveKnowledge, build_live_knowledge
from routing.policy import Router, load_policy
from touchpoints.spool import EventSpool, record_durably


class LastQuestions:
    """Each conversation's last question as embedded, so the next turn's rephrase check need not
    encode it again. Per conversation (nothing is shared between customers) and by the text's
    hash (no customer text is kept); the conversations heard from longest ago fall out."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._vectors: OrderedDict[str, tuple[str, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _hash(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, conversation_id: str, text: str) -> np.ndarray | None:
        with self._lock:
            digest, vector = self._vectors.get(conversation_id, ("", None))
        return vector if digest == self._hash(text) else None

    def put(self, conversation_id: str, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[conversation_id] = (self._hash(text), vector)
            self._vectors.move_to_end(conversation_id)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)


@dataclass
class Services:
    knowledge: LiveKnowledge
    router: Router
    # Business hours depend on the time; tests pin it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    questions: LastQuestions = field(default_factory=LastQuestions)


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

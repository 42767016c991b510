"""The knowledge search the web app shares between "test a question" and the analytics' content gaps."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fastapi import Request

if TYPE_CHECKING:
    from knowledge.live import LiveKnowledge

_lock = threading.Lock()


def live_knowledge(request: Request) -> LiveKnowledge:
    """The same live, published-only search the bot uses; the model loads on first use."""
    state = request.app.state
    with _lock:
        if getattr(state, "knowledge", None) is None:
            from knowledge.live import build_live_knowledge

            state.knowledge = build_live_knowledge(state.settings)
    knowledge: LiveKnowledge = state.knowledge  # Starlette's app state is untyped
    return knowledge

"""The knowledge search the web app shares between "test a question" and the analytics' content
gaps, and the background job that keeps the stored content gaps current (touchpoints.gap_store)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from candor.db import session_scope
from touchpoints import gap_reads, gap_store

if TYPE_CHECKING:
    from knowledge.live import LiveKnowledge
    from web.locks import Locks

logger = logging.getLogger(__name__)
_lock = threading.Lock()
GAPS_EVERY_S = 2.0
# A dashboard read waits at most this long for questions logged before it to be placed (only
# ever when something is waiting); while a pass runs in this worker, up to GAPS_COLD_S, which
# covers the model's first load on a busy machine.
GAPS_SETTLE_S = 10.0
GAPS_COLD_S = 90.0


def knowledge_of(state: Any) -> LiveKnowledge:
    """The same live, published-only search the bot uses, one per app; the model loads on first use."""
    with _lock:
        if getattr(state, "knowledge", None) is None:
            from knowledge.live import build_live_knowledge

            state.knowledge = build_live_knowledge(state.settings)
    knowledge: LiveKnowledge = state.knowledge  # Starlette's app state is untyped
    return knowledge


def live_knowledge(request: Request) -> LiveKnowledge:
    return knowledge_of(request.app.state)


async def keep_content_gaps(state: Any, locks: Locks) -> None:
    """Every few seconds, one worker at a time: place the new unanswered questions in gaps and close
    the gaps a newly published article answers; straight on again while a backlog lasts."""
    state.content_gaps = True   # dashboard reads wait briefly for it (settle_gaps)
    while True:
        await asyncio.sleep(GAPS_EVERY_S)
        while await run_in_threadpool(gaps_round, state, locks):
            pass


def gaps_round(state: Any, locks: Locks) -> bool:
    """One pass of the gap job; returns whether work is left. The model is loaded only when
    there is something to embed or search."""
    try:
        with locks.try_hold("content-gaps") as mine:
            if not mine:
                return False
            with session_scope() as session:
                if gap_reads.idle(session, getattr(state, "gaps_searched_revision", -1)):
                    return False
            state.gaps_running = True
            try:
                knowledge = knowledge_of(state)
                report = gap_store.run_pass(session_scope, knowledge.search_index.embedder.encode_transient,
                                            knowledge.search)
            finally:
                state.gaps_running = False
            if report.added or report.removed or report.closed:
                logger.info("Content gaps: %s", report)
            if not report.busy:
                state.gaps_searched_revision = report.revision
            return report.busy
    except Exception:   # the database, Redis or the model briefly away: the next round catches up
        logger.exception("Content gap job failed; retrying in %.0f s", GAPS_EVERY_S)
        return False


def settle_gaps(request: Request, session: Session) -> None:
    """Wait (bounded) until the gap job has placed the questions logged before this request."""
    if not getattr(request.app.state, "content_gaps", False):
        return
    if gap_reads.waiting(session, gap_store.BATCH + 1) > gap_store.BATCH:
        return   # a backlog takes more than a pass: the page shows what is placed rather than wait
    began = time.monotonic()
    while not gap_reads.caught_up(session):
        waited = time.monotonic() - began
        if waited > GAPS_COLD_S or (waited > GAPS_SETTLE_S and not getattr(request.app.state, "gaps_running", False)):
            return
        session.rollback()   # a fresh snapshot on the next look
        time.sleep(0.1)

"""Which conversations a transaction changed, announced once it commits.

Live views (the customer's event stream, the agent console) wait for these announcements
instead of polling the database. Nothing here knows how they travel: the web app registers
a listener (in-process, or Redis pub/sub between workers). The database stays the record;
an announcement only says "look again", so a lost one costs a delay, never a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

QUEUE = "queue"  # the topic of any escalation change: what agents' queues show
_KEY = "candor.live.topics"
_listeners: list[Callable[[frozenset[str]], None]] = []
# Models whose changes are announced: class → topics of one changed row (of that class).
_watched: dict[type, Callable[[Any], Iterable[str]]] = {}

Row = TypeVar("Row")


def touched(session: Session, *topics: str) -> None:
    """Announce these topics when the session's transaction commits (for Core writes)."""
    session.info.setdefault(_KEY, set()).update(topics)


def watch(model: type[Row], topics: Callable[[Row], Iterable[str]]) -> None:
    """Announce ``topics(row)`` whenever a row of ``model`` is added, changed or deleted."""
    _watched[model] = topics


def listen(callback: Callable[[frozenset[str]], None]) -> Callable[[], None]:
    """Call ``callback(topics)`` after each commit that changed something; returns an unsubscribe."""
    _listeners.append(callback)
    return lambda: _listeners.remove(callback) if callback in _listeners else None


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: object) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        topics = _watched.get(type(row))
        if topics is not None:
            touched(session, *topics(row))


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    topics = session.info.pop(_KEY, None)
    if not topics:
        return
    for callback in list(_listeners):
        try:
            callback(frozenset(topics))
        except Exception:  # the commit stands; live views catch up on their next look
            logger.exception("Live announcement of %s failed", sorted(topics))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)

"""Conversation events that must survive the database being briefly away.

A chat turn never fails over its analytics, and its analytics are never dropped silently:
``record_durably`` tries the write a few times, then appends the event to a spool file (one
JSON object per line) and logs an error. The web app's background loop replays the spool
once the database answers; ``/healthz`` shows how many events wait there. An event the
database refuses for a reason other than being away is moved to a "rejected" file next to
the spool (and reported the same way) so one bad line cannot block the rest.

The action server and the web app may append at the same time: every read or write of the
spool holds an exclusive ``flock`` on a lock file beside it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from candor.db import DatabaseUnavailable, session_scope, utcnow
from touchpoints.models import Event

logger = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.05, 0.2, 0.5)
SessionFactory = Callable[[], AbstractContextManager[Session]]


class EventSpool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rejected_path = path.with_name(path.stem + ".rejected.jsonl")
        self._lock_path = path.with_name(path.name + ".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, event: dict[str, Any]) -> None:
        with self._locked(), open(self.path, "a", encoding="utf-8") as spool:
            spool.write(json.dumps(event, ensure_ascii=False) + "\n")

    def forget(self, conversation_ids: list[str]) -> int:
        """Drop the erased conversations' events from the spool and the rejected file."""
        wanted, dropped = set(conversation_ids), 0
        with self._locked():
            for path in (self.path, self.rejected_path):
                if not path.exists():
                    continue
                lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
                kept = [line for line in lines if json.loads(line).get("conversation_id") not in wanted]
                dropped += len(lines) - len(kept)
                if len(kept) != len(lines):
                    temporary = path.with_suffix(".tmp")
                    temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
                    temporary.replace(path)
        return dropped

    def counts(self) -> dict[str, int]:
        with self._locked():
            return {"spooled": _line_count(self.path), "rejected": _line_count(self.rejected_path)}

    def replay(self, session_factory: SessionFactory = session_scope) -> int:
        """Write every spooled event to the database; returns how many went in.

        All in one transaction when possible. If the database is still away nothing changes
        (``DatabaseUnavailable`` propagates); if it refuses some event, the events are tried one
        by one and the refused ones are moved to the rejected file.
        """
        with self._locked():
            if not self.path.exists():
                return 0
            events = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
            try:
                with session_factory() as session:
                    session.add_all(_to_row(e) for e in events)
                written = len(events)
            except DatabaseUnavailable:
                raise
            except Exception:
                written = self._replay_one_by_one(events, session_factory)
            self.path.unlink()
        logger.warning("Replayed %d spooled conversation events into the database", written)
        return written

    def _replay_one_by_one(self, events: list[dict[str, Any]], session_factory: SessionFactory) -> int:
        written = 0
        for event in events:
            try:
                with session_factory() as session:
                    session.add(_to_row(event))
                written += 1
            except DatabaseUnavailable:
                raise
            except Exception:
                logger.exception("The database refused a spooled event; kept in %s", self.rejected_path)
                with open(self.rejected_path, "a", encoding="utf-8") as rejected:
                    rejected.write(json.dumps(event, ensure_ascii=False) + "\n")
        return written


def record_durably(
    spool: EventSpool,
    conversation_id: str,
    kind: str,
    session_factory: SessionFactory = session_scope,
    **data: Any,
) -> bool:
    """Store one event: retried, then spooled. True when it reached the database now."""
    event = {"conversation_id": conversation_id, "kind": kind, "data": data, "created_at": utcnow().isoformat()}
    for delay in (*RETRY_DELAYS_S, None):
        try:
            with session_factory() as session:
                session.execute(_INSERT_EVENT, _columns(event))
            return True
        except Exception as error:  # any failure: retry, then keep it in the spool
            failure = error
            if delay is not None:
                time.sleep(delay)
    spool.append(event)
    logger.error("Could not store the %s event of %s (%s); spooled to %s for replay",
                 kind, conversation_id, failure.__class__.__name__, spool.path)
    return False


def _to_row(event: dict[str, Any]) -> Event:
    return Event(**_columns(event))


def _columns(event: dict[str, Any]) -> dict[str, Any]:
    return {"conversation_id": event["conversation_id"], "kind": event["kind"], "data": event["data"],
            "created_at": datetime.fromisoformat(event["created_at"])}


# Every answer the action server gives logs an event: a Core insert built once costs about half of
# the ORM's add and flush (no identity map or unit of work for a row nothing reads back here).
_INSERT_EVENT = insert(Event)


def _line_count(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as file:
        return sum(1 for line in file if line.strip())

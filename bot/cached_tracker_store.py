"""Rasa's SQL tracker store, keeping the conversations it served last in memory.

Run by the Rasa environment's Python (the endpoints file names it: `cached_tracker_store.
CachedSQLTrackerStore`, bot/ being on the path of bot/rasa_server.py). Profiling the load bench
(py-spy) put a third of the Rasa server's CPU in `SQLTrackerStore`: every turn reads back the
whole session's events (the ORM rows, then `json.loads` of each) and, on saving, counts them
again to know which are new. A plain `rasa init` bot keeps its trackers in memory instead.

Here the database stays the record, and is asked one cheap question per turn: the id of the
conversation's last stored event. When it is the one this process stored or read last, the
events it kept are the ones Rasa would read back, and the tracker is rebuilt from them; any
other writer (another Rasa replica, an erasure) changes that id, and the session is read from
the database as Rasa does. A save appends only the events after those the tracker was built
from. A new session (`SessionStarted`) is not kept: Rasa's read starts at the last one, so it
is read back once from the database.

After an erasure (which deletes the conversation's rows) the kept events are never served again:
the next read sees no last id and drops them; until then, or until 500 newer conversations push
them out, they are only in this process's memory, as a plain bot's in-memory store would hold them.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import QueuePool

# Conversations kept: a long one is ~0.5 MB of events; far more than a 2-core server has in flight.
DEFAULT_CACHE_SIZE = 500


@dataclass
class _Kept:
    events: list[Event]  # the session's events, as Rasa's read would return them
    last_id: int         # id of the conversation's last stored event when they were kept


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._reopen_sqlite()
        self.cache_size = int(cache_size)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        events = self.SQLEvent.__table__
        # Built once (asked twice a turn): an ORM query rebuilt per call cost more than its answer.
        self._last_id_query = sa.select(sa.func.max(events.c.id)).where(events.c.sender_id == sa.bindparam("s"))

    def _reopen_sqlite(self) -> None:
        """Embedded mode's SQLite, opened as the web app opens its own database. Rasa's engine (SQLAlchemy
        1.4) opened a new connection for every transaction, in rollback-journal mode with a full sync:
        a turn's read and save cost 4.2 ms of CPU in a loop over 30 conversations, most of it the
        journal's fsyncs. Kept connections in WAL mode with `synchronous=NORMAL`: every commit survives
        a crash of Rasa or of the machine's other processes; a power cut may take the last ones back,
        which costs no customer's words (the web app's transcript is the record; this is Rasa's copy
        of the dialogue state)."""
        url = self.engine.url
        self.engine.dispose()
        # One connection is used at a time (Rasa's event loop); check_same_thread off so the pool
        # may hand it to another thread, which SQLite allows in its default serialized mode.
        self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=2,
                                       connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _last_id(self, session: Any, sender_id: str) -> int | None:
        return session.execute(self._last_id_query, {"s": sender_id}).scalar()

    def _keep(self, sender_id: str, events: list[Event], last_id: int | None) -> None:
        if last_id is None or not events or self.cache_size <= 0:
            return
        self._kept[sender_id] = _Kept(events, last_id)
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.cache_size:
            self._kept.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            last_id = self._last_id(session, sender_id)
        if kept is not None and last_id == kept.last_id and self.domain:
            self._keep(sender_id, kept.events, last_id)
            return DialogueStateTracker.from_events(sender_id, kept.events, self.domain.slots)
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            # Kept only if nobody wrote between the two reads (else the next turn reads again).
            with self.session_scope() as session:
                if self._last_id(session, sender_id) == last_id:
                    self._keep(sender_id, list(tracker.events), last_id)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)
        events = list(tracker.events)
        if kept is None or not _starts_with(events, kept.events):
            await super().save(tracker)  # Rasa's own save: counts what is stored
            return
        new = events[len(kept.events):]
        await self.stream_events(tracker)
        with self.session_scope() as session:
            last_id = self._last_id(session, sender_id)
            if last_id == kept.last_id:
                rows = [self._row(sender_id, event) for event in new]
                session.add_all(rows)
                session.flush()
                last_id = max((row.id for row in rows), default=last_id)
                session.commit()
                if not any(isinstance(event, SessionStarted) for event in new):
                    self._keep(sender_id, events, last_id)
                return
        # Another writer since the read: Rasa's own save, which counts what is stored.
        await super().save(tracker)

    def _row(self, sender_id: str, event: Event) -> Any:
        """The row Rasa's own save writes for an event."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
            action_name=data.get("name"), data=json.dumps(data),
        )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _starts_with(events: list[Event], prefix: list[Event]) -> bool:
    """The tracker was built from these very event objects (it only appends to them)."""
    return len(events) >= len(prefix) and all(a is b for a, b in zip(events, prefix, strict=False))


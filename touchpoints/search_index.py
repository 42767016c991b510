"""The full-text index staff search reads: one document per conversation, its transcript as redacted text.

`conversation_search` holds the document (messages joined by newlines, oldest first); the database's
own engine indexes it: an FTS5 table kept by triggers on SQLite, a generated ``tsvector`` column with a
GIN index on PostgreSQL (migration 0015). Every message is appended in the transaction that stores it,
so a search never misses a committed message. Erasure and retention delete the conversation; the
foreign key's cascade takes the document and, on SQLite, the triggers its index entries.

Customers' words are masked before they are stored, but agents' and the bot's are stored as typed
(an agent may repeat an address); the index masks every message again, with every kind, so nothing
redaction removes is ever searchable or shown in a snippet.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from touchpoints.redaction import KINDS, redact

TABLE = "conversation_search"
FTS = "conversation_search_fts"  # SQLite only
# A transcript longer than this stops growing in the index: a PostgreSQL tsvector has a 1 MB limit and
# a failed index write would fail the chat turn with it. The first 200k characters stay searchable.
MAX_DOCUMENT_CHARS = 200_000
# Snippet markers (see conversations.search): control characters never left in indexed text.
START, STOP = "\x02", "\x03"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

_UPSERT = (
    f"INSERT INTO {TABLE} (conversation_id, body, seen_message_id) VALUES (:conversation_id, :body, :message_id) "
    f"ON CONFLICT (conversation_id) DO UPDATE SET "
    f"body = CASE WHEN length({TABLE}.body) < :cap THEN {TABLE}.body || :newline || excluded.body "
    f"ELSE {TABLE}.body END, seen_message_id = excluded.seen_message_id "
    # The same message twice (a backfill racing a live write) is appended once.
    f"WHERE {TABLE}.seen_message_id < excluded.seen_message_id"
)


def indexable(message_text: str) -> str:
    """The text as the index keeps it: masked with every redaction kind, control characters as spaces."""
    return _CONTROL.sub(" ", redact(message_text, KINDS)).strip()


def add(session: Session, conversation_id: str, message_id: int, message_text: str) -> None:
    """Append one stored message to its conversation's document (call in the storing transaction)."""
    body = indexable(message_text)
    if body:
        session.execute(text(_UPSERT), {"conversation_id": conversation_id, "body": body,
                                        "message_id": message_id, "cap": MAX_DOCUMENT_CHARS, "newline": "\n"})


def rebuild(connection: Connection) -> int:
    """Index every stored message again from scratch (migration backfill); returns documents written."""
    connection.execute(text(f"DELETE FROM {TABLE}"))
    rows = connection.execute(text("SELECT conversation_id, id, text FROM messages ORDER BY conversation_id, seq"),
                              execution_options={"stream_results": True, "yield_per": 2000})
    documents: dict[str, tuple[list[str], int]] = {}  # a few conversations at a time: rows come grouped
    written = 0
    for row in rows:
        conversation_id, message_id, message_text = str(row[0]), int(row[1]), str(row[2] or "")
        if conversation_id not in documents and len(documents) >= 500:
            written += _insert(connection, documents)
            documents = {}
        parts, _ = documents.get(conversation_id, ([], 0))
        part = indexable(message_text)
        if part and sum(map(len, parts)) < MAX_DOCUMENT_CHARS:
            parts.append(part)
        documents[conversation_id] = (parts, message_id)
    return written + _insert(connection, documents)


def _insert(connection: Connection, documents: dict[str, tuple[list[str], int]]) -> int:
    batch = [{"conversation_id": cid, "body": "\n".join(parts), "message_id": seen}
             for cid, (parts, seen) in documents.items() if parts]
    if batch:
        connection.execute(text(f"INSERT INTO {TABLE} (conversation_id, body, seen_message_id) "
                                f"VALUES (:conversation_id, :body, :message_id)"), batch)
    return len(batch)


def compact(connection: Connection) -> None:
    """SQLite: rewrite the FTS5 index without the entries of deleted documents.

    An FTS5 delete only adds a tombstone; the words stay in older index segments until a merge (SQLite
    3.40 has no 'secure-delete' option). Erasure calls this before it truncates the write-ahead log, so
    an erased customer's words leave the file (the freed pages are zeroed by ``secure_delete``).
    PostgreSQL needs nothing: the document row goes, and VACUUM is what it is for every table."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')"))

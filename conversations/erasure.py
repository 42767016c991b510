"""Deleting a customer everywhere (right to erasure) and old conversations (retention).

Everywhere means: messages, events, touchpoints, idempotency keys, escalations with their notes, follow-ups,
the conversation itself (its search document goes with it, by cascade), and Rasa's tracker store (its own
database, keyed by conversation id); then the customer records and visitor ids those conversations pointed
at, once no conversation is left to them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from candor.db import get_engine, rowcount
from candor.settings import Settings
from routing.models import Escalation, EscalationNote, FollowUp
from touchpoints import search_index
from touchpoints.customer_models import Customer, Visitor
from touchpoints.models import Conversation, Event, IdempotencyKey, Message, Touchpoint


def conversations_of(session: Session, customer: str) -> list[str]:
    """A customer is a conversation id, or the `customer_id` / `email` attribute the site passed,
    or an e-mail address left for a follow-up (case-insensitive)."""
    wanted = customer.strip().lower()
    if not wanted:  # a blank name would match every conversation lacking the attribute
        return []

    def matches(cid: str, attributes: dict[str, Any] | None) -> bool:
        return cid == customer or any(str(value).strip().lower() == wanted
                                      for k in ("customer_id", "email") if (value := (attributes or {}).get(k)))

    ids = {cid for cid, attributes in session.execute(select(Conversation.id, Conversation.attributes)).tuples()
           if matches(cid, attributes)}
    ids |= set(session.scalars(select(FollowUp.conversation_id).where(func.lower(FollowUp.email) == wanted)))
    # A customer record: its conversations, and every conversation from a browser merged into it
    # (the anonymous ones after sign-in too).
    merged = select(Visitor.id).where(Visitor.customer_id == customer)
    ids |= set(session.scalars(select(Conversation.id).where(
        or_(Conversation.customer_id == customer, Conversation.visitor_id.in_(merged)))))
    return sorted(ids)


def erase(session: Session, conversation_ids: list[str], tracker_url: str | None = None) -> dict[str, int]:
    """Delete the conversations in every table; returns rows deleted per table."""
    counts: Counter[str] = Counter()
    if not conversation_ids:
        return {}
    escalations = select(Escalation.id).where(Escalation.conversation_id.in_(conversation_ids))
    linked = session.execute(select(Conversation.customer_id, Conversation.visitor_id)
                             .where(Conversation.id.in_(conversation_ids))).tuples().all()
    for label, statement in (
        ("escalation_notes", delete(EscalationNote).where(EscalationNote.escalation_id.in_(escalations))),
        ("follow_ups", delete(FollowUp).where(FollowUp.conversation_id.in_(conversation_ids))),
        ("escalations", delete(Escalation).where(Escalation.conversation_id.in_(conversation_ids))),
        ("touchpoints", delete(Touchpoint).where(Touchpoint.conversation_id.in_(conversation_ids))),
        ("events", delete(Event).where(Event.conversation_id.in_(conversation_ids))),
        ("idempotency_keys", delete(IdempotencyKey).where(IdempotencyKey.conversation_id.in_(conversation_ids))),
        ("messages", delete(Message).where(Message.conversation_id.in_(conversation_ids))),
        ("conversations", delete(Conversation).where(Conversation.id.in_(conversation_ids))),
    ):
        counts[label] += rowcount(session.execute(statement, execution_options={"synchronize_session": False}))
    counts.update(_forget_orphans(session, {c for c, _ in linked if c}, {v for _, v in linked if v}))
    if tracker_url:
        counts["rasa_tracker_events"] += erase_tracker(tracker_url, conversation_ids)
    return dict(counts)


def _forget_orphans(session: Session, customers: set[str], visitors: set[str]) -> dict[str, int]:
    """The customers and visitor ids of erased conversations that no remaining conversation uses.

    A customer goes with the visitor ids merged into them; a customer with conversations left (retention
    takes the old ones only) stays."""
    used_customers = select(Conversation.customer_id).where(Conversation.customer_id.is_not(None))
    gone = list(session.scalars(select(Customer.id).where(Customer.id.in_(customers),
                                                          Customer.id.not_in(used_customers))))
    # Retention can leave a newer anonymous conversation from a browser merged into a customer now gone:
    # it keeps its transcript but no longer points at them.
    session.execute(update(Conversation).where(Conversation.visitor_id.in_(
        select(Visitor.id).where(Visitor.customer_id.in_(gone)))).values(visitor_id=None),
        execution_options={"synchronize_session": False})
    used_visitors = select(Conversation.visitor_id).where(Conversation.visitor_id.is_not(None))
    counts = {"visitors": rowcount(session.execute(
        delete(Visitor).where(or_(Visitor.customer_id.in_(gone),
                                  Visitor.id.in_(visitors) & Visitor.id.not_in(used_visitors))),
        execution_options={"synchronize_session": False}))}
    counts["customers"] = rowcount(session.execute(delete(Customer).where(Customer.id.in_(gone)),
                                                   execution_options={"synchronize_session": False}))
    return counts


def erase_tracker(tracker_url: str, conversation_ids: list[str]) -> int:
    """Rasa's SQL tracker store keeps every turn in its `events` table by sender_id."""
    engine = get_engine(tracker_url)
    with engine.begin() as connection:
        tables = connection.dialect.get_table_names(connection)
        if "events" not in tables:
            return 0
        total = 0
        for cid in conversation_ids:
            total += connection.execute(text("DELETE FROM events WHERE sender_id = :sid"), {"sid": cid}).rowcount
        return total


def scrub_files(settings: Settings, conversation_ids: list[str]) -> None:
    """After the deleting transaction commits: no erased byte stays in a file the product owns.

    SQLite connections delete with ``secure_delete`` (the freed space is zeroed); the old page
    images still in the write-ahead log are then copied back and the log truncated. PostgreSQL
    is not scrubbed here: see the README on what VACUUM does and does not guarantee.
    """
    from touchpoints.spool import EventSpool

    if conversation_ids:
        EventSpool(settings.event_spool).forget(conversation_ids)
        with get_engine(settings.database_url).begin() as connection:
            search_index.compact(connection)  # the full-text index keeps deleted words until rewritten
    for url in (settings.database_url, tracker_url(settings)):
        if url and url.startswith("sqlite"):
            _checkpoint(url)


def _checkpoint(url: str, attempts: int = 20) -> None:
    """Truncate the WAL; a reader in the middle of a query can hold it for a moment, so retry."""
    import time

    engine = get_engine(url)
    for _ in range(attempts):
        with engine.connect() as connection:
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]  # always one row
        if not busy:
            return
        time.sleep(0.25)
    raise RuntimeError("The database's write-ahead log could not be truncated (a long reader holds it); "
                       "the rows are deleted, run the erasure again to scrub the log.")


def expired(session: Session, now: datetime, days: int) -> list[str]:
    """Conversations with no message for `days` days."""
    cutoff = now - timedelta(days=days)
    last = select(Message.conversation_id, func.max(Message.created_at).label("last")).group_by(
        Message.conversation_id).subquery()
    query = select(Conversation.id).outerjoin(last, last.c.conversation_id == Conversation.id).where(
        or_(last.c.last < cutoff, (last.c.last.is_(None)) & (Conversation.created_at < cutoff)))
    return list(session.scalars(query))


def tracker_url(settings: Settings) -> str:
    return settings.rasa_tracker_url

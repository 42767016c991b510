"""Writing conversation events that touchpoints are scored from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from touchpoints.models import Event


def record(session: Session, conversation_id: str, kind: str, **data: Any) -> Event:
    event = Event(conversation_id=conversation_id, kind=kind, data=data)
    session.add(event)
    return event


def last_event(session: Session, conversation_id: str, *kinds: str) -> Event | None:
    return session.scalar(
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.kind.in_(kinds))
        .order_by(Event.id.desc())
        .limit(1)
    )


def failures_in_a_row(session: Session, conversation_id: str, latest_failed: bool = False) -> int:
    """Unsure answers and answers that did not help, counted back from the latest turn.

    An answer failed when the customer clicked "No, it didn't" or asked the same thing again
    in other words (the next turn's event says ``rephrased``; ``latest_failed`` says it of the
    turn being decided now). A helpful click or an answer nobody pushed back on ends the run, and
    so does a person's help: after an agent hands the customer back to the bot (or the customer
    rates the chat) the slate is clean, so earlier failures no longer colour the tone.
    """
    events = session.execute(_RECENT_OUTCOMES, {"conversation_id": conversation_id})
    count, failed_next = 0, latest_failed
    for kind, helpful, rephrased in events:
        if kind in ("resolved", "rating", "escalation_withdrawn"):
            break
        if kind == "feedback":
            if helpful:
                break
            failed_next = True
            continue
        if kind == "answer" and not failed_next:
            break
        count += 1
        failed_next = bool(rephrased)
    return count


LOOK_BACK = 10  # events: a longer run than this reads as "failing" all the same
# Read on every turn: the two flags, not the events' whole JSON (decoding it was a third of the
# call), and one statement built once (building it per call was another quarter).
_RECENT_OUTCOMES = (
    select(Event.kind, Event.data["helpful"].as_boolean(), Event.data["rephrased"].as_boolean())
    .where(Event.conversation_id == bindparam("conversation_id"),
           Event.kind.in_(["answer", "unsure", "feedback", "resolved", "rating", "escalation_withdrawn"]))
    .order_by(Event.id.desc())
    .limit(LOOK_BACK)
)

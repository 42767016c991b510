"""Writing conversation events that touchpoints are scored from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoints.models import Event


def record(session: Session, conversation_id: str, kind: str, **data: Any) -> Event:
    event = Event(conversation_id=conversation_id, kind=kind, data=data)
    session.add(event)
    return event


def last_event(session: Session, conversation_id: str, kind: str) -> Event | None:
    return session.scalar(
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.kind == kind)
        .order_by(Event.id.desc())
        .limit(1)
    )


def failures_in_a_row(session: Session, conversation_id: str, look_back: int = 10) -> int:
    """Unsure answers and answers marked unhelpful, counted back from the latest turn.

    An answer and the "No, it didn't" click about it are one failure; a helpful click or an
    answer nobody complained about ends the run.
    """
    events = session.scalars(
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.kind.in_(["answer", "unsure", "feedback"]))
        .order_by(Event.id.desc())
        .limit(look_back)
    )
    count, judged_answer = 0, False
    for event in events:
        if event.kind == "feedback":
            if event.data.get("helpful"):
                break
            count, judged_answer = count + 1, True
        elif event.kind == "unsure":
            count, judged_answer = count + 1, False
        elif judged_answer:
            judged_answer = False
        else:
            break
    return count

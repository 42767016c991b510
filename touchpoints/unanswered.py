"""Which questions of a conversation the bot did not answer, read from its events in order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

KINDS = ("unsure", "answer", "feedback")   # the events that decide it


@dataclass(frozen=True)
class Asked:
    event_id: int       # the event that recorded the question
    text: str
    at: datetime


def unanswered(events: Iterable[tuple[int, str, dict[str, Any] | None, datetime]]) -> list[Asked]:
    """(id, kind, data, created_at) of one conversation, oldest first → its unanswered questions.

    A question the bot was unsure of is unanswered, unless the customer asked it again in other words
    (the bot marks that ``rephrased``) and that time got an answer not rated unhelpful. An answer
    rated unhelpful leaves its question unanswered, and the unsure tries it rephrased too."""
    out: list[Asked] = []
    tries: list[Asked] = []   # unsure questions, each a rephrasing of the one before
    last: tuple[Asked, list[Asked]] | None = None   # the latest answer and the tries it settled
    for event_id, kind, data, at in events:
        data = data or {}
        question = (data.get("question") or "").strip()
        if kind == "unsure" and question:
            if not data.get("rephrased"):
                out += tries
                tries = []
            tries.append(Asked(event_id, question, at))
        elif kind == "answer":
            if not data.get("rephrased"):
                out += tries
                tries = []
            last = (Asked(event_id, question, at), tries) if question else None
            tries = []
        elif kind == "feedback" and not data.get("helpful") and last is not None:
            answer, settled = last
            out += [*settled, answer]
            last = None
    out += tries
    return sorted(out, key=lambda a: a.event_id)

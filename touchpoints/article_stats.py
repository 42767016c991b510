"""How each article does with customers: times it answered, helpful clicks, escalations after it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoints.models import Event


@dataclass
class ArticleStats:
    used: int = 0               # answers the bot gave from it
    helpful: int = 0            # "Yes, thanks" clicks on those answers
    unhelpful: int = 0          # "No, it didn't" clicks
    escalations_after: int = 0  # escalations whose latest answer in the conversation came from it

    @property
    def helpful_rate(self) -> float | None:
        """Share of rated answers that helped; None until someone rated one."""
        rated = self.helpful + self.unhelpful
        return round(self.helpful / rated, 3) if rated else None

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "helpful_rate": self.helpful_rate}


def article_stats(session: Session) -> dict[str, ArticleStats]:
    """Per article id, read from the conversation events in one ordered pass."""
    stats: dict[str, ArticleStats] = defaultdict(ArticleStats)
    last_answer: dict[str, str] = {}
    events = session.execute(
        select(Event.conversation_id, Event.kind, Event.data)
        .where(Event.kind.in_(["answer", "fit_recommendation", "feedback", "escalated"]))
        .order_by(Event.id)
    ).tuples()
    for conversation_id, kind, data in events:
        article_id = (data or {}).get("article_id")
        if kind in ("answer", "fit_recommendation") and article_id:  # a recommendation rests on its article
            stats[article_id].used += 1
            last_answer[conversation_id] = article_id
        elif kind == "feedback" and article_id:
            if data.get("helpful"):
                stats[article_id].helpful += 1
            else:
                stats[article_id].unhelpful += 1
        elif kind == "escalated" and conversation_id in last_answer:
            stats[last_answer[conversation_id]].escalations_after += 1
    return dict(stats)

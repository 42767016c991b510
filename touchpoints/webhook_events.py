"""The scorer's webhook events: ``touchpoint.scored`` when a touchpoint's outcome changes, and
``customer.stage_changed`` when that changes the customer's journey stage.

A customer's stage is the stage of their latest scored conversation (by start), as the journey in
``GET /api/customers/{id}`` lists them. Both are queued in the scorer's transaction; with no endpoint
subscribed nothing is even read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.db import utc_text
from touchpoints import webhooks
from touchpoints.models import Conversation, Touchpoint

# What a receiver is told about; a rescore that changes none of these (e.g. a later message
# that moves nothing) sends nothing.
_OUTCOME = ("stage", "resolution", "experience_score", "satisfaction")


def _outcome(touchpoint: Touchpoint | None) -> tuple[Any, ...] | None:
    if touchpoint is None:
        return None
    return tuple(round(v, 4) if isinstance(v, float) else v for v in (getattr(touchpoint, n) for n in _OUTCOME))


def customer_stage(session: Session, customer_id: str) -> str | None:
    return session.scalar(
        select(Touchpoint.stage).join(Conversation, Conversation.id == Touchpoint.conversation_id)
        .where(Conversation.customer_id == customer_id)
        .order_by(Touchpoint.started_at.desc(), Touchpoint.conversation_id.desc()).limit(1))


class ScoreWatch:
    """Made before a conversation is rescored (it reads the old outcome), told the new touchpoint after."""

    def __init__(self, session: Session, conversation_id: str, old: Touchpoint | None) -> None:
        self.session, self.conversation_id = session, conversation_id
        self.scored = bool(webhooks.subscribers(session, "touchpoint.scored"))
        staged = bool(webhooks.subscribers(session, "customer.stage_changed"))
        self.before = _outcome(old)
        self.customer_id = (session.scalar(select(Conversation.customer_id).where(Conversation.id == conversation_id))
                            if self.scored or staged else None)
        self.stage_before = customer_stage(session, self.customer_id) if staged and self.customer_id else None
        self.staged = staged and self.customer_id is not None

    def after(self, touchpoint: Touchpoint, article_ids: Iterable[str]) -> None:
        """Queue what changed (the touchpoint is flushed)."""
        if self.scored and _outcome(touchpoint) != self.before:
            webhooks.emit(self.session, "touchpoint.scored", {
                "conversation_id": self.conversation_id, "customer_id": self.customer_id,
                "stage": touchpoint.stage, "resolution": touchpoint.resolution,
                "experience_score": touchpoint.experience_score, "satisfaction": touchpoint.satisfaction,
                "satisfaction_predicted": touchpoint.satisfaction_predicted, "turns": touchpoint.turns,
                "started_at": utc_text(touchpoint.started_at), "articles": sorted(set(article_ids)),
            }, conversation_id=self.conversation_id, customer_id=self.customer_id)
        if self.staged and self.customer_id is not None:
            stage = customer_stage(self.session, self.customer_id)
            if stage != self.stage_before:
                webhooks.emit(self.session, "customer.stage_changed", {
                    "customer_id": self.customer_id, "from": self.stage_before, "to": stage,
                    "conversation_id": self.conversation_id,
                }, conversation_id=self.conversation_id, customer_id=self.customer_id)

"""What the console shows beside a live conversation (issue 16, item 4): the customer's earlier
conversations, one summary line each, and their open e-mail follow-ups.

The customer is the verified or passed customer id when the conversation has one, else the
widget's visitor id (the same browser). Only scores, stages, outcomes and article titles are shown,
never transcript text, as GET /api/customers/{id} does: nothing redaction removed reappears here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import Article
from routing.models import FollowUp
from touchpoints.customer_models import Customer
from touchpoints.models import Conversation, Touchpoint
from web.api.follow_ups import FollowUpOut, out
from web.schemas import UtcDatetime

SHOWN = 20  # the newest ones; an agent reads a line each, not a report
GONE = "An article since removed from the knowledge base"


class PastArticle(BaseModel):
    id: str
    title: str = Field(description="The article's title; 'An article since removed' when it is gone")


class PastConversation(BaseModel):
    conversation_id: str
    started_at: UtcDatetime
    status: str = Field(description="bot, queued, agent or closed")
    stage: str | None = Field(description="Journey stage; None until the conversation is scored")
    resolution: str | None = Field(description="Outcome; None until the conversation is scored")
    experience_score: int | None = Field(description="0-100; None until the conversation is scored")
    articles: list[PastArticle]


class CustomerHistory(BaseModel):
    customer_id: str | None = Field(description="The business's customer id, when the site passed one")
    verified: bool = Field(description="Whether that id was ever signed by the site")
    linked_by: Literal["customer", "visitor"] | None = Field(
        description="How the earlier conversations were found: the customer id, the same browser, or not at all")
    conversations: list[PastConversation] = Field(description=f"Earlier conversations, newest first (at most {SHOWN})")
    more: int = Field(description="Earlier conversations beyond those listed")
    open_follow_ups: list[FollowUpOut] = Field(
        description="The customer's open e-mail follow-ups on their other conversations (your teams' only)")


def _titles(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Article.id, Article.title).where(Article.id.in_(ids))).tuples().all())


def _past(c: Conversation, t: Touchpoint | None, titles: dict[str, str]) -> PastConversation:
    """One line; a conversation the background scorer has not reached yet has no stage or score."""
    return PastConversation(
        conversation_id=c.id, started_at=t.started_at if t else c.created_at, status=c.status,
        stage=t.stage if t else None, resolution=t.resolution if t else None,
        experience_score=t.experience_score if t else None,
        articles=[PastArticle(id=a, title=titles.get(a, GONE)) for a in (t.articles if t else [])])


def history(session: Session, conversation_id: str, teams: list[str] | None) -> CustomerHistory:
    """``teams``: the follow-ups the agent may see (None: all, for admins)."""
    conversation = session.get_one(Conversation, conversation_id)
    customer = session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    linked_by: Literal["customer", "visitor"]
    if conversation.customer_id:
        same, linked_by = Conversation.customer_id == conversation.customer_id, "customer"
    elif conversation.visitor_id:
        same, linked_by = Conversation.visitor_id == conversation.visitor_id, "visitor"
    else:
        return CustomerHistory(customer_id=None, verified=False, linked_by=None, conversations=[], more=0,
                               open_follow_ups=[])
    others = (Conversation.id != conversation.id, same)
    total = session.scalar(select(func.count()).select_from(Conversation).where(*others)) or 0
    rows = list(session.execute(
        select(Conversation, Touchpoint).outerjoin(Touchpoint, Touchpoint.conversation_id == Conversation.id)
        .where(*others).order_by(Conversation.created_at.desc(), Conversation.id.desc()).limit(SHOWN)).tuples())
    titles = _titles(session, {a for _, t in rows if t is not None for a in t.articles})
    past = [_past(c, t, titles) for c, t in rows]
    follow_ups = select(FollowUp).join(Conversation, Conversation.id == FollowUp.conversation_id).where(
        *others, FollowUp.status == "open").order_by(FollowUp.created_at, FollowUp.id)
    if teams is not None:
        follow_ups = follow_ups.where(FollowUp.team.in_(teams))
    return CustomerHistory(
        customer_id=conversation.customer_id, verified=bool(customer and customer.verified),
        linked_by=linked_by, conversations=past, more=max(0, total - len(past)),
        open_follow_ups=[out(f, session) for f in session.scalars(follow_ups)])

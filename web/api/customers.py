"""The customer behind the conversations, for staff: their conversations as scored touchpoints and the
journey stages they went through. Only scores, stages, outcomes and article ids are shown, never
transcript text, so nothing redaction removed can reappear here. Reads never score: a conversation
the background scorer has not reached yet is listed with no stage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from candor.db import session_scope
from routing.staff import User
from touchpoints.customer_models import Customer
from touchpoints.models import Conversation, Touchpoint
from web.api.staff import require
from web.schemas import UtcDatetime

router = APIRouter(prefix="/api/customers", tags=["customers"])
# Agents see a customer's history beside a live conversation; editors and admins for the journey.
Staff = Annotated[User, Depends(require("agent", "editor", "admin"))]
CustomerId = Annotated[str, Path(min_length=1, max_length=128)]


class CustomerConversation(BaseModel):
    id: str
    started_at: UtcDatetime
    stage: str | None = Field(description="Journey stage; None until the conversation is scored")
    resolution: str | None = Field(description="Outcome; None until the conversation is scored")
    experience_score: int | None = Field(description="0-100; None until the conversation is scored")
    articles: list[str] = Field(description="Ids of the articles used in it")
    verified: bool = Field(description="Whether this conversation itself carried a good signature")


class JourneyStep(BaseModel):
    stage: str
    at: UtcDatetime = Field(description="Start of the first conversation in this stage after another stage")


class CustomerView(BaseModel):
    id: str
    verified: bool = Field(description="A conversation carried a good signature for this id at least once")
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    conversations: list[CustomerConversation] = Field(description="Oldest first")
    journey: list[JourneyStep] = Field(description="Stage transitions over time, oldest first")


class CustomerSummary(BaseModel):
    id: str
    verified: bool
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    conversations: int


class CustomerPage(BaseModel):
    items: list[CustomerSummary] = Field(description="Most recently seen first")
    next: int | None = Field(description="Pass as offset= for the next page; None on the last page")


def journey(conversations: list[CustomerConversation]) -> list[JourneyStep]:
    """Each change of stage, in the order the conversations started (unscored ones do not count)."""
    steps: list[JourneyStep] = []
    for conversation in sorted(conversations, key=lambda c: c.started_at):
        if conversation.stage and (not steps or steps[-1].stage != conversation.stage):
            steps.append(JourneyStep(stage=conversation.stage, at=conversation.started_at))
    return steps


def _item(c: Conversation, t: Touchpoint | None) -> CustomerConversation:
    return CustomerConversation(
        id=c.id, started_at=t.started_at if t else c.created_at, stage=t.stage if t else None,
        resolution=t.resolution if t else None, experience_score=t.experience_score if t else None,
        articles=list(t.articles) if t else [], verified=(c.attributes or {}).get("verified") is True)


@router.get("/{customer_id}")
def customer_view(customer_id: CustomerId, user: Staff) -> CustomerView:
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise HTTPException(404, f"No customer with id {customer_id!r}.")
        rows = session.execute(
            select(Conversation, Touchpoint).outerjoin(Touchpoint, Touchpoint.conversation_id == Conversation.id)
            .where(Conversation.customer_id == customer_id).order_by(Conversation.created_at, Conversation.id)
        ).tuples()
        conversations = [_item(c, t) for c, t in rows]
        return CustomerView(id=customer.id, verified=customer.verified, first_seen=customer.first_seen,
                            last_seen=customer.last_seen, conversations=conversations,
                            journey=journey(conversations))


@router.get("")
def list_customers(
    user: Staff,
    verified: Annotated[bool | None, Query(description="Only verified (true) or unverified (false)")] = None,
    q: Annotated[str | None, Query(max_length=128, description="Part of the customer id")] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CustomerPage:
    counts = (select(Conversation.customer_id, func.count().label("n"))
              .where(Conversation.customer_id.is_not(None)).group_by(Conversation.customer_id).subquery())
    query = select(Customer, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.customer_id == Customer.id)
    if verified is not None:
        query = query.where(Customer.verified.is_(verified))
    if q and q.strip():
        # LIKE's own wildcards in the text are matched literally.
        pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Customer.id).like(pattern, escape="\\"))
    query = query.order_by(Customer.last_seen.desc(), Customer.id).offset(offset).limit(limit + 1)
    with session_scope() as session:
        rows = list(session.execute(query).tuples())
    items = [CustomerSummary(id=c.id, verified=c.verified, first_seen=c.first_seen, last_seen=c.last_seen,
                             conversations=n) for c, n in rows[:limit]]
    return CustomerPage(items=items, next=offset + limit if len(rows) > limit else None)


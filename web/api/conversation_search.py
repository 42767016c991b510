"""`GET /api/conversations/search`: staff find past conversations by their words (issue 16 item 5).

Registered before the customer router, whose `/api/conversations/{id}` would otherwise take "search"
for an id. Snippets are redacted transcript text, returned as plain text with match offsets: the page
renders them as text nodes, so nothing a customer typed can become markup.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from candor.db import session_scope
from conversations import search
from web.api.staff import Agent, visible_teams
from web.schemas import UtcDatetime

router = APIRouter(prefix="/api/conversations", tags=["search"])

Name = Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Moment = Annotated[str | None, Query(max_length=40, description="ISO date (2026-11-01) or date and time, UTC "
                                                                "unless an offset is given")]


class SearchHit(BaseModel):
    conversation_id: str
    snippet: str = Field(description="Redacted transcript text around the match, plain text (not HTML)")
    marks: list[tuple[int, int]] = Field(description="[start, end) of each matched word in snippet, counted in "
                                                     "Unicode code points (Array.from(snippet) in JavaScript)")
    status: str
    started_at: UtcDatetime
    last_activity_at: UtcDatetime
    customer_id: str | None
    stage: str | None = Field(description="Journey stage; None until the conversation is scored")
    outcome: str | None = Field(description="Outcome; None until the conversation is scored")
    experience_score: int | None


class SearchPage(BaseModel):
    items: list[SearchHit] = Field(description="Best match first")
    next: str | None = Field(description="Pass as next= (with the same q and filters) for the following page; "
                                         "None on the last page")


def _moment(name: str, value: str | None, end_of_day: bool) -> datetime | None:
    """A date alone means the whole day: since=2026-11-01 from its start, until=2026-11-30 to its end."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if end_of_day else day, time())
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    except (ValueError, OverflowError) as error:   # OverflowError: the day after 9999-12-31
        raise HTTPException(422, f"{name} {value!r} is not a date; write it as 2026-11-01 or "
                                 f"2026-11-01T09:30:00Z.") from error


@router.get("/search")
def search_conversations(
    user: Agent,
    q: Annotated[str, Query(max_length=200, description="Words that must all occur in the transcript")],
    status: Annotated[str | None, Query(description="bot, queued, agent or closed")] = None,
    team: Name = None,
    stage: Annotated[str | None, Query(description="Journey stage, e.g. decision")] = None,
    outcome: Annotated[str | None, Query(description="Outcome, e.g. resolved_by_agent")] = None,
    since: Moment = None,
    until: Moment = None,
    customer: Name = None,
    article: Name = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(alias="next", max_length=400,
                                        description="The 'next' of the previous page")] = None,
) -> SearchPage:
    """Agents see conversations never escalated and those escalated to their teams; admins see all."""
    filters = search.Filters(status=status, team=team, stage=stage, outcome=outcome,
                             since=_moment("since", since, False), until=_moment("until", until, True),
                             customer=customer, article=article)
    teams = visible_teams(user)
    if team is not None and teams is not None and team not in teams:
        raise HTTPException(403, f"You can search the conversations of your teams only ({', '.join(teams)}).")
    try:
        after = search.position(q, filters, cursor) if cursor else None
        with session_scope() as session:
            hits = search.search(session, q, filters, limit + 1, after, teams)
    except search.BadSearch as error:
        raise HTTPException(422, str(error)) from error
    items = [SearchHit(conversation_id=h.conversation_id, snippet=h.snippet, marks=h.marks, status=h.status,
                       started_at=h.started_at, last_activity_at=h.last_activity_at, customer_id=h.customer_id,
                       stage=h.stage, outcome=h.outcome, experience_score=h.experience_score)
             for h in hits[:limit]]
    return SearchPage(items=items, next=search.cursor(q, filters, hits[limit - 1]) if len(hits) > limit else None)

"""Journey analytics across each customer's conversations, for CX staff (editor, admin): JSON for the
dashboard and the same figures as CSV. The window is the dashboard's period (touchpoints started in it)."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from candor.db import session_scope, utc_text, utcnow
from touchpoints import journey_analytics
from web.api.analytics import Analyst, Since, Until, _settle, _window

router = APIRouter(tags=["analytics"])
WithinDays = Annotated[int, Query(ge=1, le=365, description="A customer 'moved on' from a stage when a later "
                                                               "stage followed within this many days (1–365)")]


class StageProgress(BaseModel):
    stage: str
    customers: int = Field(description="Customers with a conversation at this stage in the window")
    moved_within: int = Field(description="Reached a later stage within within_days of their first conversation here")
    moved_later: int = Field(description="Reached a later stage, but after more than within_days")
    stalled: int = Field(description="No later stage although within_days have passed (by until, or now)")
    waiting: int = Field(description="No later stage yet, and within_days have not passed yet")


class StageTime(BaseModel):
    stage: str
    moved_on: int = Field(description="Stays that ended: the next conversation was at another stage")
    still_there: int = Field(description="Stays still going: no conversation at another stage since")
    average_days: float | None = Field(description="Average days from the first conversation of a stay to the next "
                                                   "stage's first conversation; None when no stay ended")


class Transition(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    customers: int


class RepeatByResolution(BaseModel):
    resolution: str
    resolved: int
    repeated: int = Field(description="Followed by another conversation of the same customer within 7 days")
    rate: float | None


class RepeatContacts(BaseModel):
    days: int
    resolved: int
    repeated: int
    rate: float | None
    by_resolution: list[RepeatByResolution]


class FitGroup(BaseModel):
    conversations: int
    experience_score: float | None
    satisfaction: float | None = Field(description="1–5: the customer's rating, else the predicted one")
    ratings: int = Field(description="Conversations the customer rated")
    rated_satisfaction: float | None


class ToldNotAFit(FitGroup):
    customers: int = Field(description="Customers (or browsers) among them")
    came_back: int = Field(description="Of those customers, how many started another conversation afterwards")


class NotAFit(BaseModel):
    told: ToldNotAFit = Field(description="Conversations where the fit check said honestly that a plan does not fit")
    others: FitGroup = Field(description="Every other conversation in the window")


class JourneyFigures(BaseModel):
    since: str
    until: str | None
    within_days: int
    customers: int = Field(description="Customers (signed in, or one browser) with a conversation in the window")
    progression: list[StageProgress]
    time_in_stage: list[StageTime]
    transitions: list[Transition]
    repeat_contacts: RepeatContacts
    not_a_fit: NotAFit


def _figures(request: Request, since: Since, until: Until, within_days: int) -> dict[str, object]:
    start, end = _window(since, until)
    with session_scope() as session:
        _settle(request, session)
        data = journey_analytics.figures(session, start, end, utcnow(), within_days)
    return {"since": utc_text(start), "until": utc_text(end) if end else None, **data}


@router.get("/api/analytics/journey", response_model_by_alias=True)
async def journey(request: Request, user: Analyst, since: Since = None, until: Until = None,
                  within_days: WithinDays = 14) -> JourneyFigures:
    """Stage progression and stalls, time in stage, repeat contacts after a resolution, and the
    experience of customers told "not a fit"; customers are followed across their conversations."""
    data = await run_in_threadpool(_figures, request, since, until, within_days)
    return JourneyFigures.model_validate(data)


@router.get("/api/analytics/journey.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "section, group, measure, value"}})
def journey_csv(request: Request, user: Analyst, since: Since = None, until: Until = None,
                within_days: WithinDays = 14) -> StreamingResponse:
    """The journey figures, one per row (a few dozen rows whatever the number of customers)."""
    data = _figures(request, since, until, within_days)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("section", "group", "measure", "value"))
    writer.writerows(("" if v is None else v for v in row) for row in journey_analytics.csv_rows(data))
    return StreamingResponse(iter([out.getvalue()]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="journey.csv"'})

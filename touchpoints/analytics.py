"""What the business sees: containment, escalations, satisfaction and experience by stage and over
time, article performance and content gaps (agent workload is routing.workload, from the escalation
rows). Whole days are read from the daily rollups (touchpoints.rollups), the partial first and last
day of a window from the typed rows with
the same SQL aggregates, so a read costs the days in the window, not the conversations."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select, tuple_
from sqlalchemy.orm import Session

from candor.db import utc_text
from knowledge.models import Article
from touchpoints import gap_store, rollups
from touchpoints.journey import STAGES
from touchpoints.models import AgentClaim, ArticleDaily, ArticleUse, Touchpoint, TouchpointDaily, TouchpointReasonDaily

Query = Select[*tuple[Any, ...]]
CONTAINED = ("answered_confirmed", "answered_unconfirmed", "not_a_fit")  # no person needed
EXPORT_COLUMNS = (
    "conversation_id", "started_at", "last_activity_at", "stage", "resolution", "escalated", "escalation_reasons",
    "turns", "rephrasings", "time_to_resolution_s", "queue_wait_s", "sentiment_avg", "sentiment_trend",
    "satisfaction", "satisfaction_predicted", "experience_score", "articles", "formula_version",
)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _midnight(moment: datetime, up: bool) -> datetime:
    day = datetime.combine(moment.date(), time())
    return day + timedelta(days=1) if up and day != moment else day


def split(since: datetime | None, until: datetime | None
          ) -> tuple[list[tuple[datetime, datetime]], tuple[date | None, date | None] | None]:
    """The window as partial-day ranges read directly and a whole-day range [first, end) read from
    the rollups (None: no whole day in the window; a None bound: open on that side)."""
    first = _midnight(since, up=True) if since else None
    end = _midnight(until, up=False) if until else None
    if since and until and first and end and first >= end:
        return [(since, until)], None
    direct = []
    if since and first and since < first:
        direct.append((since, first))
    if until and end and end < until:
        direct.append((end, until))
    return direct, (first.date() if first else None, end.date() if end else None)


def _days(query: Query, column: Any, days: tuple[date | None, date | None]) -> Query:
    first, end = days
    if first is not None:
        query = query.where(column >= first)
    if end is not None:
        query = query.where(column < end)
    return query


def _groups(session: Session, since: datetime | None, until: datetime | None
            ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The window's touchpoints counted two ways, each a few hundred rows at most, whatever the
    number of conversations: (stage, resolution, escalated, predicted, n, satisfaction sum,
    experience sum) and per day (day, resolution, n, experience sum)."""
    direct, days = split(since, until)
    groups: list[tuple[Any, ...]] = []
    per_day: list[tuple[Any, ...]] = []
    for start, end in direct:
        for stage, resolution, escalated, predicted, n, satisfaction, experience in session.execute(
                rollups.touchpoint_groups(start, end)).tuples():
            groups.append((stage, resolution, escalated, predicted, n, satisfaction, experience))
            per_day.append((start.date(), resolution, n, experience))
    if days:
        d = TouchpointDaily
        groups += session.execute(_days(
            select(d.stage, d.resolution, d.escalated, d.satisfaction_predicted, func.sum(d.conversations),
                   func.sum(d.satisfaction_sum), func.sum(d.experience_sum))
            .group_by(d.stage, d.resolution, d.escalated, d.satisfaction_predicted), d.day, days)).tuples().all()
        per_day += session.execute(_days(
            select(d.day, d.resolution, func.sum(d.conversations), func.sum(d.experience_sum))
            .group_by(d.day, d.resolution), d.day, days)).tuples().all()
    return groups, per_day


def escalations_by_reason(session: Session, since: datetime | None = None,
                          until: datetime | None = None) -> dict[str, int]:
    direct, days = split(since, until)
    counts: Counter[str] = Counter()
    for start, end in direct:
        counts.update(dict(session.execute(rollups.reason_groups(start, end)).tuples().all()))
    if days:
        counts.update(dict(session.execute(_days(
            select(TouchpointReasonDaily.reason, func.sum(TouchpointReasonDaily.conversations))
            .group_by(TouchpointReasonDaily.reason), TouchpointReasonDaily.day, days)).tuples().all()))
    return {reason: int(n) for reason, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if n}


class _Tally:
    def __init__(self) -> None:
        self.n = self.contained = self.escalated = 0
        self.satisfaction = self.experience = 0.0

    def add(self, resolution: str, escalated: bool, n: int, satisfaction: float, experience: float) -> None:
        self.n += n
        self.contained += n if resolution in CONTAINED else 0
        self.escalated += n if escalated else 0
        self.satisfaction += satisfaction
        self.experience += experience


def summary(session: Session, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    total, rated = _Tally(), _Tally()
    stages: dict[str, _Tally] = {stage: _Tally() for stage in STAGES}
    days: dict[date, _Tally] = defaultdict(_Tally)
    resolutions: Counter[str] = Counter()
    groups, per_day = _groups(session, since, until)
    for stage, resolution, escalated, predicted, n, satisfaction, experience in groups:
        n = int(n)
        for tally in (total, stages.setdefault(stage, _Tally())) + (() if predicted else (rated,)):
            tally.add(resolution, escalated, n, satisfaction, experience)
        resolutions[resolution] += n
    for day, resolution, n, experience in per_day:
        days[day].add(resolution, False, int(n), 0.0, experience)
    return {
        "conversations": total.n,
        "containment_rate": _rate(total.contained, total.n),
        "escalation_rate": _rate(total.escalated, total.n),
        "escalations_by_reason": escalations_by_reason(session, since, until),
        "resolution": {name: n for name, n in resolutions.items() if n},
        "satisfaction": _mean(total.satisfaction, total.n),
        "rated_satisfaction": _mean(rated.satisfaction, rated.n),
        "experience_score": _mean(total.experience, total.n),
        "by_stage": {stage: {"conversations": t.n, "satisfaction": _mean(t.satisfaction, t.n),
                             "experience_score": _mean(t.experience, t.n),
                             "containment_rate": _rate(t.contained, t.n)} for stage, t in stages.items()},
        "over_time": [{"day": day.isoformat(), "conversations": t.n, "experience_score": _mean(t.experience, t.n),
                       "containment_rate": _rate(t.contained, t.n)} for day, t in sorted(days.items()) if t.n],
    }


def article_performance(session: Session, since: datetime | None = None,
                        until: datetime | None = None) -> list[dict[str, Any]]:
    """Per article: answers from it, helpful and unhelpful clicks, escalations after it, in the window."""
    direct, days = split(since, until)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    queries: list[Query] = [rollups.article_groups(start, end) for start, end in direct]
    if days:
        queries.append(_days(select(ArticleDaily.article_id, func.sum(ArticleDaily.used),
                                    func.sum(ArticleDaily.helpful), func.sum(ArticleDaily.unhelpful),
                                    func.sum(ArticleDaily.escalations_after)).group_by(ArticleDaily.article_id),
                             ArticleDaily.day, days))
    for query in queries:
        for article_id, *counts in session.execute(query).tuples():
            stats[article_id] = [a + int(b or 0) for a, b in zip(stats[article_id], counts, strict=True)]
    titles = dict(session.execute(select(Article.id, Article.title)).tuples().all())
    rows = []
    for article_id, (used, helpful, unhelpful, after) in stats.items():
        rated = helpful + unhelpful
        rows.append({"article_id": article_id, "title": titles.get(article_id, "(deleted)"), "used": used,
                     "helpful": helpful, "unhelpful": unhelpful, "escalations_after": after,
                     "helpful_rate": round(helpful / rated, 3) if rated else None})
    return sorted(rows, key=lambda r: (-r["used"], r["article_id"]))


def csat_by(session: Session, key: Any, conversation_id: Any, since: datetime | None = None,
            until: datetime | None = None) -> list[dict[str, Any]]:
    """CSAT grouped by ``key``, a column of a table with a ``conversation_id`` column (the agent of a
    claim, the article of an answer, the team of an escalation): per key, the customer ratings of
    conversations started in the window and the share of them that are 4 or 5. Predicted
    satisfaction is no rating and is left out. A conversation counts once per key however many
    rows it has there (two claims by one agent), in one grouped statement on either database."""
    pairs = select(key.label("key"), conversation_id.label("conversation_id")).distinct().subquery()
    query = (select(pairs.c.key, func.count(), func.sum(case((Touchpoint.satisfaction >= 4, 1), else_=0)))
             .join_from(pairs, Touchpoint, Touchpoint.conversation_id == pairs.c.conversation_id)
             .where(Touchpoint.satisfaction_predicted.is_(False)).group_by(pairs.c.key))
    if since:
        query = query.where(Touchpoint.started_at >= since)
    if until:
        query = query.where(Touchpoint.started_at < until)
    return [{"name": name, "ratings": int(n), "satisfied": int(good or 0), "csat": _rate(int(good or 0), int(n))}
            for name, n, good in sorted(session.execute(query).tuples(), key=lambda row: (-row[1], row[0]))]


def csat_by_agent(session: Session, since: datetime | None = None,
                  until: datetime | None = None) -> list[dict[str, Any]]:
    """Per agent who held (claimed) the conversation."""
    return csat_by(session, AgentClaim.agent, AgentClaim.conversation_id, since, until)


def csat_by_article(session: Session, since: datetime | None = None,
                    until: datetime | None = None) -> list[dict[str, Any]]:
    """Per article the bot answered from in the conversation, with its title."""
    rows = csat_by(session, ArticleUse.article_id, ArticleUse.conversation_id, since, until)
    titles = dict(session.execute(select(Article.id, Article.title)).tuples().all())
    return [{**row, "title": titles.get(row["name"], "(deleted)")} for row in rows]


def touchpoint_page(session: Session, since: datetime | None = None, until: datetime | None = None,
                    stage: str | None = None, resolution: str | None = None, limit: int = 200,
                    after: tuple[datetime, str] | None = None) -> list[Touchpoint]:
    """Newest first by (start time, conversation id), filtered in SQL; ``after`` is the last row of
    the previous page (keyset: a later page is one index range, not an offset to skip)."""
    query = select(Touchpoint).order_by(Touchpoint.started_at.desc(), Touchpoint.conversation_id.desc())
    if after:
        query = query.where(tuple_(Touchpoint.started_at, Touchpoint.conversation_id) < after)
    if since:
        query = query.where(Touchpoint.started_at >= since)
    if until:
        query = query.where(Touchpoint.started_at < until)
    if stage:
        query = query.where(Touchpoint.stage == stage)
    if resolution:
        query = query.where(Touchpoint.resolution == resolution)
    return list(session.scalars(query.limit(limit)))


def export_row(t: Any) -> dict[str, Any]:
    """A touchpoint (object or column mapping) as one CSV row: times in UTC, lists joined with ';'."""
    get: Callable[[str], Any] = t.get if isinstance(t, dict) else lambda name: getattr(t, name)
    row = {name: get(name) for name in EXPORT_COLUMNS}
    row["started_at"] = utc_text(row["started_at"])
    row["last_activity_at"] = utc_text(row["last_activity_at"])
    row["escalation_reasons"] = ";".join(row["escalation_reasons"] or [])
    row["articles"] = ";".join(row["articles"] or [])
    return row


def content_gaps(session: Session, since: datetime | None = None, until: datetime | None = None,
                 limit: int = 20) -> list[dict[str, Any]]:
    """Open gaps with questions in the window, largest first: a query on the gaps the background
    job keeps (touchpoints.gap_store), never an encoding."""
    return gap_store.read_gaps(session, since, until, limit)

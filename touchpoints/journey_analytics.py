"""Journey analytics across a customer's conversations: where customers move on between stages and
where they stall, time in each stage, resolutions that did not hold (another contact within 7 days),
and how customers honestly told "not a fit" experienced it.

A journey is everything one customer did: their signed-in conversations, or, for a visitor who never
signed in, that browser's. Conversations are those whose scored touchpoint started in the window
(the dashboard's period); each figure is a few grouped SQL statements (SQLite and PostgreSQL alike),
so a read costs the conversations in the window, never a list of ids sent back to the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CTE, String, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from touchpoints.journey import STAGES
from touchpoints.models import Conversation, Event, Touchpoint
from touchpoints.scoring import NOT_FOR_YOU

# Outcomes that closed the customer's question; another contact soon after means it did not hold.
RESOLVED = ("answered_confirmed", "answered_unconfirmed", "resolved_by_agent")
REPEAT_WITHIN = timedelta(days=7)
DAY_S = 86400.0


def seconds(session: Session, later: Any, earlier: Any) -> Any:
    """later − earlier in seconds, in SQL (SQLite has no interval type)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * DAY_S
    return func.extract("epoch", later - earlier)


def _base(since: datetime, until: datetime | None) -> CTE:
    """One row per scored conversation of a known customer or visitor started in the window."""
    t, c = Touchpoint, Conversation
    key = case((c.customer_id.is_not(None), literal("c:", String) + c.customer_id),
               else_=literal("v:", String) + c.visitor_id)
    rank = case({stage: n for n, stage in enumerate(STAGES)}, value=t.stage, else_=-1)
    query = (select(key.label("key"), c.customer_id, c.visitor_id, t.conversation_id, t.stage, rank.label("rank"),
                    t.started_at, t.last_activity_at, t.resolution)
             .join(c, c.id == t.conversation_id)
             .where(or_(c.customer_id.is_not(None), c.visitor_id.is_not(None)), t.started_at >= since))
    if until is not None:
        query = query.where(t.started_at < until)
    return query.cte("journey")


def _same_journey(other: Any, row: Any) -> Any:
    """``other`` (a conversations alias) belongs to the journey of ``row`` (a base row)."""
    return or_(and_(row.customer_id.is_not(None), other.customer_id == row.customer_id),
               and_(row.customer_id.is_(None), other.customer_id.is_(None), other.visitor_id == row.visitor_id))


def _int(value: Any) -> int:
    return int(value or 0)


def _days(total_s: Any) -> float | None:
    return None if total_s is None else round(float(total_s) / DAY_S, 2)


def progression(session: Session, base: CTE, end: datetime, within_days: int) -> list[dict[str, Any]]:
    """Per stage, the customers who reached it and what came next, from their first conversation
    there: a later stage within ``within_days`` days, a later stage after that, none although that
    many days have passed by ``end`` (stalled), or none yet with days still to go (waiting)."""
    firsts = (select(base.c.key, base.c.stage, base.c.rank, func.min(base.c.started_at).label("first_at"))
              .group_by(base.c.key, base.c.stage, base.c.rank).subquery())
    later = base.alias("later")
    # A join on the journey, not a subquery per row: each customer's rows meet only their own.
    per = (select(firsts.c.stage, firsts.c.first_at, func.min(later.c.started_at).label("next_at"))
           .select_from(firsts)
           .outerjoin(later, and_(later.c.key == firsts.c.key, later.c.rank > firsts.c.rank,
                                  later.c.started_at >= firsts.c.first_at))
           .group_by(firsts.c.key, firsts.c.stage, firsts.c.first_at)).subquery()
    limit = within_days * DAY_S
    gap = seconds(session, per.c.next_at, per.c.first_at)
    moved = per.c.next_at.is_not(None)
    waited = per.c.first_at <= end - timedelta(days=within_days)
    rows = session.execute(select(
        per.c.stage, func.count(),
        func.sum(case((and_(moved, gap <= limit), 1), else_=0)),
        func.sum(case((and_(moved, gap > limit), 1), else_=0)),
        func.sum(case((and_(~moved, waited), 1), else_=0)),
    ).group_by(per.c.stage)).tuples()
    found = {stage: (n, within, after, stalled) for stage, n, within, after, stalled in rows}
    out = []
    for stage in STAGES:
        n, within, after, stalled = (_int(v) for v in found.get(stage, (0, 0, 0, 0)))
        out.append({"stage": stage, "customers": n, "moved_within": within, "moved_later": after,
                    "stalled": stalled, "waiting": n - within - after - stalled})
    return out


def _runs(base: CTE) -> Any:
    """Each journey cut into runs of one stage (consecutive conversations at the same stage), with
    the stage and start of the run after it (None for the run the customer is still in)."""
    order = (base.c.started_at, base.c.conversation_id)
    marked = select(base.c.key, base.c.stage, base.c.started_at, base.c.conversation_id,
                    func.lag(base.c.stage).over(partition_by=base.c.key, order_by=order).label("previous")
                    ).subquery()
    order = (marked.c.started_at, marked.c.conversation_id)
    return (select(marked.c.key, marked.c.stage, marked.c.started_at,
                   func.lead(marked.c.stage).over(partition_by=marked.c.key, order_by=order).label("next_stage"),
                   func.lead(marked.c.started_at).over(partition_by=marked.c.key, order_by=order).label("next_start"))
            .where(or_(marked.c.previous.is_(None), marked.c.previous != marked.c.stage)).subquery())


def stage_moves(session: Session, base: CTE) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Time in stage and stage-to-stage moves, from one pass over the runs.

    Time in stage, per stage: stays that ended (the customer's next conversation was at another
    stage), their average length in days (first conversation of the stay to the next stage's first),
    and stays still going. Moves: customers who went from one stage straight to another."""
    runs = _runs(base)
    rows = session.execute(select(
        runs.c.stage, runs.c.next_stage, func.count(), func.count(func.distinct(runs.c.key)),
        func.sum(seconds(session, runs.c.next_start, runs.c.started_at)),
    ).group_by(runs.c.stage, runs.c.next_stage)).tuples().all()
    rank = {stage: n for n, stage in enumerate(STAGES)}
    times = []
    for stage in STAGES:
        ended = [(int(n), float(total or 0)) for a, b, n, _, total in rows if a == stage and b is not None]
        moved = sum(n for n, _ in ended)
        times.append({"stage": stage, "moved_on": moved,
                      "still_there": sum(int(n) for a, b, n, _, _ in rows if a == stage and b is None),
                      "average_days": _days(sum(total for _, total in ended) / moved) if moved else None})
    moves = [{"from": a, "to": b, "customers": int(people)}
             for a, b, _, people, _ in sorted(rows, key=lambda r: (rank.get(r[0], 9), rank.get(r[1] or "", 9)))
             if b is not None]
    return times, moves


def repeat_contacts(session: Session, base: CTE) -> dict[str, Any]:
    """Resolved conversations followed by another from the same customer within 7 days of their
    last activity (whenever that one started: the resolution in the window is what did not hold)."""
    other = aliased(Conversation)
    gap = seconds(session, other.created_at, base.c.last_activity_at)
    again = exists().where(_same_journey(other, base.c), other.created_at > base.c.last_activity_at,
                           gap <= REPEAT_WITHIN.total_seconds())
    rows = session.execute(select(base.c.resolution, func.count(), func.sum(case((again, 1), else_=0)))
                           .where(base.c.resolution.in_(RESOLVED)).group_by(base.c.resolution)).tuples()
    found = {resolution: (int(n), _int(repeated)) for resolution, n, repeated in rows}
    counts = [(r, *found.get(r, (0, 0))) for r in RESOLVED]
    by = [{"resolution": r, "resolved": n, "repeated": again_n, "rate": _rate(again_n, n)} for r, n, again_n in counts]
    resolved, repeated = sum(n for _, n, _ in counts), sum(again_n for _, _, again_n in counts)
    return {"days": REPEAT_WITHIN.days, "resolved": resolved, "repeated": repeated,
            "rate": _rate(repeated, resolved), "by_resolution": by}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _mean(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def not_a_fit(session: Session, since: datetime, until: datetime | None) -> dict[str, Any]:
    """Conversations in the window where the fit check said honestly that the plan asked about, or
    every plan, does not fit (the bot's ``fit_recommendation`` event), beside all the others: their
    experience score and satisfaction, customer ratings, and how many of those customers came back."""
    t, c = Touchpoint, Conversation
    # The told conversations once, joined: an EXISTS per touchpoint would read every fit event again.
    told_ids = (select(Event.conversation_id).where(Event.kind == "fit_recommendation",
                                                    Event.data["verdict"].as_string().in_(NOT_FOR_YOU))
                .group_by(Event.conversation_id).subquery())
    window = [t.started_at >= since] + ([t.started_at < until] if until is not None else [])
    rows_q = (select(told_ids.c.conversation_id.is_not(None).label("told"), t.experience_score, t.satisfaction,
                     t.satisfaction_predicted)
              .outerjoin(told_ids, told_ids.c.conversation_id == t.conversation_id).where(*window).subquery())
    rated = rows_q.c.satisfaction_predicted.is_(False)
    rows = session.execute(select(
        rows_q.c.told, func.count(), func.avg(rows_q.c.experience_score), func.avg(rows_q.c.satisfaction),
        func.sum(case((rated, 1), else_=0)), func.avg(case((rated, rows_q.c.satisfaction), else_=None)),
    ).group_by(rows_q.c.told)).tuples()
    groups = {bool(flag): row for flag, *row in rows}

    def figures(flag: bool) -> dict[str, Any]:
        n, experience, satisfaction, ratings, rated_avg = groups.get(flag, (0, None, None, 0, None))
        return {"conversations": int(n), "experience_score": _mean(experience), "satisfaction": _mean(satisfaction),
                "ratings": _int(ratings), "rated_satisfaction": _mean(rated_avg)}

    # Their customers (or browsers), and which of them started another conversation afterwards.
    other = aliased(Conversation)
    came_back = exists().where(_same_journey(other, c), other.created_at > t.last_activity_at)
    key = case((c.customer_id.is_not(None), literal("c:", String) + c.customer_id),
               else_=literal("v:", String) + c.visitor_id)
    people = session.execute(select(func.count(func.distinct(key)),
                                    func.count(func.distinct(case((came_back, key), else_=None))))
                             .select_from(t).join(c, c.id == t.conversation_id)
                             .join(told_ids, told_ids.c.conversation_id == t.conversation_id)
                             .where(*window, or_(c.customer_id.is_not(None), c.visitor_id.is_not(None)))
                             ).one()
    return {"told": {**figures(True), "customers": int(people[0]), "came_back": int(people[1])},
            "others": figures(False)}


def figures(session: Session, since: datetime, until: datetime | None, now: datetime,
            within_days: int = 14) -> dict[str, Any]:
    """Everything the dashboard's journey section shows, for conversations started in [since, until)."""
    base = _base(since, until)
    end = min(until, now) if until is not None else now
    customers = session.scalar(select(func.count(func.distinct(base.c.key))))
    times, moves = stage_moves(session, base)
    return {"customers": int(customers or 0), "within_days": within_days,
            "progression": progression(session, base, end, within_days),
            "time_in_stage": times, "transitions": moves,
            "repeat_contacts": repeat_contacts(session, base), "not_a_fit": not_a_fit(session, since, until)}


def csv_rows(data: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """The figures as (section, group, measure, value) rows, the same numbers the dashboard shows."""
    n = data["within_days"]
    rows: list[tuple[str, str, str, Any]] = [("customers", "all", "customers", data["customers"])]
    for p in data["progression"]:
        rows += [("progression", p["stage"], "customers", p["customers"]),
                 ("progression", p["stage"], f"moved_on_within_{n}_days", p["moved_within"]),
                 ("progression", p["stage"], f"moved_on_after_{n}_days", p["moved_later"]),
                 ("progression", p["stage"], "stalled", p["stalled"]),
                 ("progression", p["stage"], f"waiting_under_{n}_days", p["waiting"])]
    for s in data["time_in_stage"]:
        rows += [("time_in_stage", s["stage"], "moved_on", s["moved_on"]),
                 ("time_in_stage", s["stage"], "still_there", s["still_there"]),
                 ("time_in_stage", s["stage"], "average_days", s["average_days"])]
    rows += [("transition", f"{m['from']} to {m['to']}", "customers", m["customers"]) for m in data["transitions"]]
    repeat = data["repeat_contacts"]
    for r in repeat["by_resolution"] + [{"resolution": "all", **repeat}]:
        rows += [("repeat_contact_within_7_days", r["resolution"], "resolved", r["resolved"]),
                 ("repeat_contact_within_7_days", r["resolution"], "repeated", r["repeated"]),
                 ("repeat_contact_within_7_days", r["resolution"], "rate", r["rate"])]
    for group, values in data["not_a_fit"].items():
        rows += [("not_a_fit", group, measure, value) for measure, value in values.items()]
    return rows

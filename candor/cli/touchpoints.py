"""CLI commands for touchpoints: rescoring, the analytics report in the terminal, and erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from candor.db import session_scope, utcnow
from candor.settings import get_settings

touchpoints_app = typer.Typer(help="Scored touchpoints of the customer journey.", no_args_is_help=True)
console = Console()


@touchpoints_app.command("rescore")
def rescore() -> None:
    """Score every conversation again (after a change to the formulas or journey.yml)."""
    from touchpoints.scorer import rescore_all

    with session_scope() as session:
        count = rescore_all(session, utcnow())
    console.print(f"Rescored {count} conversations.")


@touchpoints_app.command("rollup")
def rollup(rebuild: Annotated[bool, typer.Option("--rebuild", help="Recount every day from the touchpoints.")] = False,
           ) -> None:
    """Bring touchpoints and their daily rollups up to date (score what changed), or rebuild every day."""
    from touchpoints import rollups
    from touchpoints.scorer import score_pending

    with session_scope() as session:
        scored, batch = 0, 500
        while batch == 500 and scored < 10_000_000:   # a short batch: nothing more is pending
            batch = score_pending(session, utcnow(), limit=500)
            scored += batch
            session.commit()
        days = rollups.rebuild(session) if rebuild else 0
    console.print(f"Scored {scored} changed conversations" + (f"; rebuilt the rollups of {days} days." if rebuild
                                                             else "."))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def report(days: Annotated[int, typer.Option(help="How many days back.", min=1)] = 30) -> None:
    """The analytics summary in the terminal: the same figures as /api/analytics/summary, read from the
    rollups the scorer keeps (`candor touchpoints rollup` brings them up to date first if need be)."""
    from routing import workload
    from touchpoints import analytics

    since = utcnow() - timedelta(days=days)
    with session_scope() as session:
        data = analytics.summary(session, since)
        articles = analytics.article_performance(session, since)[:10]
        agents = workload.agent_workload(session, since)
    console.print(f"[bold]Last {days} days[/]: {data['conversations']} conversations · containment "
                  f"{_pct(data['containment_rate'])} · escalation {_pct(data['escalation_rate'])} · "
                  f"satisfaction {data['satisfaction'] or '–'} · experience score {data['experience_score'] or '–'}")
    stages = Table("stage", "conversations", "satisfaction", "experience", "containment", title="By journey stage")
    for stage, row in data["by_stage"].items():
        stages.add_row(stage, str(row["conversations"]), str(row["satisfaction"] or "–"),
                       str(row["experience_score"] or "–"), _pct(row["containment_rate"]))
    console.print(stages)
    reasons = Table("reason", "escalations", title="Escalations by reason")
    for reason, count in data["escalations_by_reason"].items():
        reasons.add_row(reason, str(count))
    console.print(reasons)
    top = Table("article", "used", "helpful rate", "escalations after", title="Articles (most used)")
    for row in articles:
        top.add_row(row["article_id"], str(row["used"]), _pct(row["helpful_rate"]), str(row["escalations_after"]))
    console.print(top)
    people = Table("agent", "handled", "closed", "median first response s", "median handle s", title="Agents")
    for row in agents:
        people.add_row(row["agent"], str(row["escalations_handled"]), str(row["closed"]),
                       str(row["median_first_response_s"] or "–"), str(row["median_handle_s"] or "–"))
    console.print(people)


def erase(customer: Annotated[str, typer.Option(help="Conversation id, customer_id or e-mail address.")],
          yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Delete everything about a customer: transcripts, events, touchpoints, escalations, follow-ups,
    and their turns in Rasa's tracker store. Says how many rows went from each table."""
    from conversations.erasure import conversations_of, scrub_files, tracker_url
    from conversations.erasure import erase as erase_rows

    settings = get_settings()
    with session_scope() as session:
        ids = conversations_of(session, customer)
        if not ids:
            console.print(f"No conversations found for {customer!r}; nothing erased.")
            raise typer.Exit(1)
        if not yes and not typer.confirm(f"Erase {len(ids)} conversation(s) of {customer!r} for good?"):
            raise typer.Exit(1)
        counts = erase_rows(session, ids, tracker_url(settings))
    scrub_files(settings, ids)
    console.print(f"Erased {len(ids)} conversation(s): " + ", ".join(f"{k} {v}" for k, v in counts.items()))

"""Starting the product: `candor up`, `candor train`, `candor db upgrade`."""

from __future__ import annotations

import os
import secrets
from typing import Annotated

import typer

from candor.cli.common import Steps, console, err, set_up, stop_on_signals
from candor.settings import get_settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def up(
    production: Annotated[bool, typer.Option(
        "--production", help="PostgreSQL, Redis, several Rasa replicas and web workers (same as CANDOR_ENV=production)."
    )] = False,
) -> None:
    """Set up and start everything (database, model, Rasa, actions, web), then print the URLs."""
    from pydantic import ValidationError

    from candor.preflight import unreachable
    from candor.supervisor import Stack, StackError

    if production:
        os.environ["CANDOR_ENV"] = "production"
        get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as error:
        err.print("[red]Refusing to start:[/red] " + "; ".join(e["msg"].removeprefix("Value error, ")
                                                              for e in error.errors()))
        raise typer.Exit(2) from error
    if not settings.rasa_token:
        settings.rasa_token = secrets.token_urlsafe(24)
    problems = unreachable(settings) if settings.production else []
    if problems:
        err.print("[red]Refusing to start in production mode:[/red]\n  " + "\n  ".join(problems))
        raise typer.Exit(2)
    steps = Steps(5, console.print)
    try:
        model = set_up(settings, steps=steps)
    except Exception as error:
        err.print(f"[red]Set-up failed:[/red] {error}")
        raise typer.Exit(1) from error
    stack = Stack(settings, model, echo=console.print)
    stop_on_signals()
    try:
        with steps.step("Starting Rasa, the action server and the web app"):
            stack.start()
            stack.wait_healthy()
        with steps.step("Waiting until the bot answers (Rasa loads its model)"):
            stack.wait_ready()
        console.print(
            f"\n[bold green]Candor is running.[/bold green]\n"
            f"  Demo site    {settings.web_url}/demo   (the chat widget, as customers see it)\n"
            f"  Agents       {settings.web_url}/console\n"
            f"  Editors      {settings.web_url}/editor   (knowledge base)\n"
            f"  Analytics    {settings.web_url}/dashboard\n"
            f"  Chat API     {settings.web_url}/api/conversations\n"
            f"  API docs     {settings.web_url}/docs\n"
            f"  Health       {settings.web_url}/healthz   (ready: {settings.web_url}/readyz)\n"
            f"  Rasa (local) {', '.join(settings.rasa_urls)}\n"
            f"  Mode         {'production (PostgreSQL, Redis)' if settings.production else 'embedded (SQLite)'}\n"
            f"Press Ctrl-C to stop.\n"
        )
        stack.watch()
    except KeyboardInterrupt:
        console.print("Stopping…")
        stack.stop()
        console.print("Stopped.")
    except StackError as error:
        stack.stop()
        err.print(f"[red]A Candor process failed:[/red] {error}")
        raise typer.Exit(1) from error


def train(force: Annotated[bool, typer.Option(help="Retrain even if the data did not change.")] = False) -> None:
    """Train the Rasa model if config.yml, domain.yml or bot/data changed."""
    from candor.training import ensure_model

    try:
        path = ensure_model(get_settings(), force=force, echo=console.print)
    except RuntimeError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(str(path))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and load the sample knowledge base into an empty database."""
    from candor.bootstrap import prepare_database

    prepare_database(get_settings(), echo=console.print)
    console.print("Database is up to date.")

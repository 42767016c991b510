"""`candor user`: staff accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from candor.cli.common import console, err

user_app = typer.Typer(help="Staff accounts: agents, editors, admins.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[str, typer.Option(help="agent, editor or admin.")],
    team: Annotated[list[str] | None, typer.Option(help="Team(s) an agent works for; repeat.")] = None,
    password: Annotated[str | None, typer.Option(help="Prompted for when omitted.")] = None,
    capacity: Annotated[int, typer.Option(help="Conversations an agent is given at once by auto-assignment.")] = 3,
) -> None:
    """Create a staff account."""
    from candor.db import session_scope
    from candor.migrate import upgrade
    from routing.staff import StaffError, add_user

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    upgrade()
    try:
        with session_scope() as session:
            add_user(session, name, password, role, team or [], capacity)
    except StaffError as error:
        err.print(f"[red]Cannot add {name}: {error}.[/red]")
        raise typer.Exit(2) from error
    console.print(f"Added {role} {name}" + (f" (teams: {', '.join(team)})" if team else "") + ".")

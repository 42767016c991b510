"""The ``candor`` command line: one module per command group, assembled here."""

from __future__ import annotations

import typer

from candor.cli import bench, judgment, kb, stack, touchpoints, users

app = typer.Typer(help="Candor: support assistant with a transparency knowledge base.", no_args_is_help=True)
app.command()(stack.up)
app.command()(stack.train)
app.command("eval")(judgment.evaluate)
app.command()(judgment.calibrate)
app.command("report")(touchpoints.report)
app.command("erase")(touchpoints.erase)
app.add_typer(kb.kb_app, name="kb")
app.add_typer(stack.db_app, name="db")
app.add_typer(bench.bench_app, name="bench")
app.add_typer(users.user_app, name="user")
app.add_typer(touchpoints.touchpoints_app, name="touchpoints")

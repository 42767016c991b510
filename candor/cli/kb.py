"""`candor kb`: import, export and search the knowledge base."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from candor.cli.common import console, err
from candor.settings import get_settings

kb_app = typer.Typer(help="Import, export and search the knowledge base.", no_args_is_help=True)


@kb_app.command("import")
def kb_import(file: Path) -> None:
    """Import articles from a JSON Lines file; a bad line aborts the whole import."""
    from candor.db import session_scope
    from candor.migrate import upgrade
    from knowledge.jsonl import KnowledgeFileError, import_articles, read_file
    from knowledge.store import ArticleStore

    try:
        articles = read_file(file)
    except (OSError, UnicodeDecodeError) as error:
        err.print(f"[red]Cannot read {file}: {error}[/red]")
        raise typer.Exit(2) from error
    except KnowledgeFileError as error:
        err.print(f"[red]{file}: {error}[/red]")
        raise typer.Exit(2) from error
    upgrade()
    with session_scope() as session:
        count = import_articles(ArticleStore(session), articles, author="cli")
    console.print(f"Imported {count} articles from {file}.")


@kb_app.command("export")
def kb_export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export every article as JSON Lines."""
    from candor.db import session_scope
    from knowledge.jsonl import export_articles
    from knowledge.store import ArticleStore

    with session_scope() as session:
        if out is None:
            count = export_articles(ArticleStore(session), sys.stdout)
        else:
            with out.open("w", encoding="utf-8") as handle:
                count = export_articles(ArticleStore(session), handle)
    err.print(f"Exported {count} articles.")


@kb_app.command("search")
def kb_search(query: str, k: Annotated[int, typer.Option(help="How many articles to show.")] = 5) -> None:
    """Search the published articles the way the bot does, with confidence and decision."""
    from rich.table import Table

    from knowledge.live import build_live_knowledge

    result = build_live_knowledge(get_settings()).search(query, k)
    console.print(f"decision: [bold]{result.decision}[/bold]   confidence: {result.confidence:.3f}")
    table = Table("rank", "article", "kind", "score", "passage")
    for rank, hit in enumerate(result.hits, 1):
        table.add_row(str(rank), hit.article_id, hit.kind, f"{hit.score:.3f}", hit.passage[:90])
    console.print(table)

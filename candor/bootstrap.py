"""Bring a database to the current schema and give an empty one the sample knowledge base."""

from __future__ import annotations

from candor.db import session_scope
from candor.migrate import upgrade
from candor.settings import Settings
from knowledge.jsonl import import_articles, read_file
from knowledge.store import ArticleStore


def prepare_database(settings: Settings, echo=print) -> None:  # noqa: ANN001
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        store = ArticleStore(session)
        if store.count() == 0 and settings.sample_kb.exists():
            count = import_articles(store, read_file(settings.sample_kb), author="sample")
            echo(f"Loaded the sample knowledge base: {count} articles from {settings.sample_kb.name}.")

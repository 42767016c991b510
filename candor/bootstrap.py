"""Bring a database to the current schema and give an empty one the sample knowledge base."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from candor.db import session_scope
from candor.migrate import upgrade
from candor.settings import Settings
from knowledge.jsonl import import_articles, read_file
from knowledge.store import ArticleStore
from routing import staff
from routing.models import CannedResponse

# Agents adapt these before sending; they are ordinary rows, edited in the console.
STARTER_REPLIES = [
    ("Greeting", "Hi, I'm here to help. I've read your conversation with our assistant so far."),
    ("Checking", "Thanks for waiting. I'm checking this on your account now; it will take a minute or two."),
    ("Price explained", "Here's what you'd pay each month and why: "),
    ("Hand back", "Is there anything else I can help with? If not, I'll pass you back to our assistant."),
]


def prepare_database(settings: Settings, echo: Callable[[str], None] = print) -> None:
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        store = ArticleStore(session)
        if store.count() == 0 and settings.sample_kb.exists():
            count = import_articles(store, read_file(settings.sample_kb), author="sample")
            echo(f"Loaded the sample knowledge base: {count} articles from {settings.sample_kb.name}.")
        if session.scalar(select(CannedResponse.id).limit(1)) is None:
            for title, body in STARTER_REPLIES:
                session.add(CannedResponse(title=title, body=body, updated_by="sample"))
        first = staff.first_admin(session)
        if first is not None:
            echo(f"Created the first staff account: sign in at /login as {first[0]} with password {first[1]} "
                 "(shown once; add people with `candor user add NAME --role agent|editor|admin`).")

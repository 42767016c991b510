"""Alembic environment: the URL comes from Candor's settings (so DATABASE_URL is honoured)."""

from __future__ import annotations

from alembic import context

import conversations.outbox  # noqa: F401  (registers the tables on Base.metadata)
import knowledge.models  # noqa: F401
import routing.audit
import routing.models
import routing.staff  # noqa: F401
import touchpoints.customer_models
import touchpoints.gap_models
import touchpoints.models
import touchpoints.webhook_models  # noqa: F401
from candor.db import Base, get_engine

config = context.config


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        # Batch mode lets later migrations alter columns on SQLite too.
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

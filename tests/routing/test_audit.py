"""The audit log's migration (0011) both ways on SQLite and PostgreSQL, and what an entry keeps."""

import secrets

import pytest
from alembic import command
from sqlalchemy import inspect

from candor.db import get_engine, session_scope
from candor.migrate import alembic_config, upgrade
from routing import audit

pytestmark = pytest.mark.unit


def _round_trip(url: str) -> None:
    upgrade(url)
    columns = {c["name"] for c in inspect(get_engine(url)).get_columns("users")}
    assert {"display_name", "disabled_at"} <= columns
    command.downgrade(alembic_config(url), "0010")
    engine = get_engine(url)
    engine.dispose()
    assert "audit_log" not in inspect(get_engine(url)).get_table_names()
    assert "display_name" not in {c["name"] for c in inspect(get_engine(url)).get_columns("users")}
    upgrade(url)
    assert "audit_log" in inspect(get_engine(url)).get_table_names()


def test_migration_both_ways_on_sqlite(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'audit.db'}")


@pytest.mark.postgres
def test_migration_both_ways_on_postgresql():
    # A database of its own: the downgrade drops indexes that a session another test left open on
    # the shared database could hold locks on (CI hung here on 0017's DROP INDEX).
    from pg_scratch import scratch_postgres

    with scratch_postgres("candor_audit") as url:
        _round_trip(url)


def test_entries_are_newest_first_and_actions_are_known(database):
    subject = f"acct-{secrets.token_hex(4)}"
    with session_scope() as session:
        first = audit.record(session, "root", "user.added", subject, role="agent")
        second = audit.record(session, "root", "user.disabled", subject)
        session.flush()
        ids = (first.id, second.id)
    with session_scope() as session:
        mine = [e for e in audit.recent(session, 500) if e.subject == subject]
        assert [(e.id, e.action, e.details) for e in mine] == [(ids[1], "user.disabled", {}),
                                                               (ids[0], "user.added", {"role": "agent"})]
        assert [e.id for e in audit.recent(session, 500, before_id=ids[1]) if e.subject == subject] == [ids[0]]
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(session, "root", "user.renamed", subject)

"""conversation and escalation statuses constrained to their state machines' values

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 19:50:00

PostgreSQL gets CHECK constraints. SQLite can only add a CHECK by rebuilding the table, and
rebuilding ``conversations`` or ``escalations`` drops the old table, which with foreign keys on
(Candor's connections turn them on) cascades the delete to every message, event and note; so on
SQLite the same rule is enforced by triggers that abort the INSERT or UPDATE instead.
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The values as they are today; the enums in touchpoints/status.py and routing/lifecycle.py.
_STATUSES = {
    "conversations": ("bot", "queued", "agent", "closed"),
    "escalations": ("queued", "claimed", "closed"),
}


def _allowed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, values in _STATUSES.items():
        bad = f"NEW.status IS NULL OR NEW.status NOT IN ({_allowed(values)})"
        if not sqlite:
            op.create_check_constraint(f"ck_{table}_status", table, f"status IN ({_allowed(values)})")
            continue
        for event in ("INSERT", "UPDATE OF status"):
            name = f"ck_{table}_status_{event.split()[0].lower()}"
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {bad} "
                       f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {table}.status'); END")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _STATUSES:
        if not sqlite:
            op.drop_constraint(f"ck_{table}_status", table, type_="check")
            continue
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER ck_{table}_status_{event}")

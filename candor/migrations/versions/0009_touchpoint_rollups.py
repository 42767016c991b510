"""touchpoint dirty marks, daily rollups and typed analytics facts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:40:00

A conversation is marked dirty by a trigger in the transaction that writes its message or event,
whoever writes it (ORM, Core insert, spool replay), so the scorer's change check reads a small
table. A deleted touchpoint (erasure, retention) leaves its start time behind so the scorer can
recount that day's rollups.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_MARK = ("INSERT INTO touchpoint_dirty (conversation_id, generation, marked_at) "
         "VALUES (NEW.conversation_id, 1, NEW.created_at) "
         "ON CONFLICT (conversation_id) DO UPDATE SET generation = touchpoint_dirty.generation + 1")
_FORGET = "INSERT INTO touchpoint_forgotten (started_at) VALUES (OLD.started_at)"


def _triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION touchpoint_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {_MARK}; RETURN NULL; END $$")
        op.execute(f"CREATE FUNCTION touchpoint_forget() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {_FORGET}; RETURN NULL; END $$")
        for table in ("messages", "events"):
            op.execute(f"CREATE TRIGGER {table}_mark_dirty AFTER INSERT ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION touchpoint_mark_dirty()")
        op.execute("CREATE TRIGGER touchpoints_forget AFTER DELETE ON touchpoints "
                   "FOR EACH ROW EXECUTE FUNCTION touchpoint_forget()")
    else:
        for table in ("messages", "events"):
            op.execute(f"CREATE TRIGGER {table}_mark_dirty AFTER INSERT ON {table} BEGIN {_MARK}; END")
        op.execute(f"CREATE TRIGGER touchpoints_forget AFTER DELETE ON touchpoints BEGIN {_FORGET}; END")


def upgrade() -> None:
    op.create_table(
        'touchpoint_dirty',
        sa.Column('conversation_id', sa.String(64), primary_key=True),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'touchpoint_forgotten',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'touchpoint_reasons',
        sa.Column('conversation_id', sa.String(36),
                  sa.ForeignKey('touchpoints.conversation_id', ondelete='CASCADE'), primary_key=True),
        sa.Column('reason', sa.String(40), primary_key=True),
    )
    op.create_index('ix_touchpoint_reasons_reason', 'touchpoint_reasons', ['reason'])
    op.create_table(
        'article_uses',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('conversation_id', sa.String(36), sa.ForeignKey('conversations.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('article_id', sa.String(64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False, index=True),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.Column('helpful', sa.Integer(), nullable=False),
        sa.Column('unhelpful', sa.Integer(), nullable=False),
        sa.Column('escalations_after', sa.Integer(), nullable=False),
    )
    op.create_table(
        'agent_claims',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('conversation_id', sa.String(36), sa.ForeignKey('conversations.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('escalation_id', sa.Integer(), nullable=True),
        sa.Column('agent', sa.String(120), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=False, index=True),
        sa.Column('first_reply_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('first_response_s', sa.Float(), nullable=True),
        sa.Column('handle_s', sa.Float(), nullable=True),
    )
    op.create_table(
        'touchpoint_daily',
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('stage', sa.String(20), primary_key=True),
        sa.Column('resolution', sa.String(30), primary_key=True),
        sa.Column('escalated', sa.Boolean(), primary_key=True),
        sa.Column('satisfaction_predicted', sa.Boolean(), primary_key=True),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.Column('satisfaction_sum', sa.Float(), nullable=False),
        sa.Column('experience_sum', sa.Float(), nullable=False),
    )
    op.create_table(
        'touchpoint_reason_daily',
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('reason', sa.String(40), primary_key=True),
        sa.Column('conversations', sa.Integer(), nullable=False),
    )
    op.create_table(
        'article_daily',
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('article_id', sa.String(64), primary_key=True),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.Column('helpful', sa.Integer(), nullable=False),
        sa.Column('unhelpful', sa.Integer(), nullable=False),
        sa.Column('escalations_after', sa.Integer(), nullable=False),
    )
    op.create_table('rollup_days', sa.Column('day', sa.Date(), primary_key=True))
    op.create_index('ix_touchpoints_formula_version', 'touchpoints', ['formula_version'])
    op.create_index('ix_touchpoints_resolution_last_activity', 'touchpoints', ['resolution', 'last_activity_at'])
    _triggers()
    # Everything already logged is scored again once, by the new scorer, so the facts and rollups fill.
    op.execute("INSERT INTO touchpoint_dirty (conversation_id, generation, marked_at) "
               "SELECT conversation_id, 1, MAX(created_at) FROM messages GROUP BY conversation_id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("messages", "events"):
            op.execute(f"DROP TRIGGER {table}_mark_dirty ON {table}")
        op.execute("DROP TRIGGER touchpoints_forget ON touchpoints")
        op.execute("DROP FUNCTION touchpoint_mark_dirty()")
        op.execute("DROP FUNCTION touchpoint_forget()")
    else:
        for name in ("messages_mark_dirty", "events_mark_dirty", "touchpoints_forget"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_touchpoints_resolution_last_activity', 'touchpoints')
    op.drop_index('ix_touchpoints_formula_version', 'touchpoints')
    for table in ('rollup_days', 'article_daily', 'touchpoint_reason_daily', 'touchpoint_daily', 'agent_claims',
                  'article_uses', 'touchpoint_reasons', 'touchpoint_forgotten', 'touchpoint_dirty'):
        op.drop_table(table)

"""escalations.first_reply_at; touchpoints keyset index (issue 20)

Agent workload groups the escalation rows in SQL: the first agent reply's time is kept on the
escalation (set in the reply's transaction), backfilled here from the transcript. The touchpoint
list pages by (started_at, conversation_id), so that pair is one index; the index on started_at
alone is its prefix and goes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 23:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# The first agent message while the escalation was held (claimed, and not after it closed): what the
# reply route records from now on. A re-queued escalation has no claim, so no first reply.
BACKFILL = """
UPDATE escalations SET first_reply_at = (
    SELECT min(m.created_at) FROM messages m
    WHERE m.conversation_id = escalations.conversation_id AND m.sender = 'agent'
      AND m.created_at >= escalations.claimed_at
      AND (escalations.closed_at IS NULL OR m.created_at <= escalations.closed_at))
WHERE claimed_at IS NOT NULL
"""


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (a batch copy of escalations would cascade to its children).
    op.add_column('escalations', sa.Column('first_reply_at', sa.DateTime(), nullable=True))
    op.execute(BACKFILL)
    op.create_index('ix_escalations_claimed_at', 'escalations', ['claimed_at'])
    op.create_index('ix_touchpoints_started_at_conversation_id', 'touchpoints', ['started_at', 'conversation_id'])
    op.drop_index('ix_touchpoints_started_at', table_name='touchpoints')


def downgrade() -> None:
    op.create_index('ix_touchpoints_started_at', 'touchpoints', ['started_at'])
    op.drop_index('ix_touchpoints_started_at_conversation_id', table_name='touchpoints')
    op.drop_index('ix_escalations_claimed_at', table_name='escalations')
    op.drop_column('escalations', 'first_reply_at')

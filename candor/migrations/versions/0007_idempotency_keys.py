"""idempotency keys of customer messages

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idempotency_keys',
        sa.Column('conversation_id', sa.String(36), sa.ForeignKey('conversations.id'), primary_key=True),
        sa.Column('key', sa.String(200), primary_key=True),
        sa.Column('message_seq', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')

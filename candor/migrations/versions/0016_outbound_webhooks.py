"""outbound webhooks: endpoints and their delivery queue (issue 16 item 7)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 23:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('url', sa.String(2000), nullable=False),
        sa.Column('description', sa.String(200), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('secret', sa.String(100), nullable=False),
        sa.Column('previous_secret', sa.String(100), nullable=True),
        sa.Column('previous_secret_until', sa.DateTime(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_webhook_endpoints_enabled', 'webhook_endpoints', ['enabled'])
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('delivery_id', sa.String(36), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(40), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('conversation_id', sa.String(36), nullable=True),
        sa.Column('customer_id', sa.String(128), nullable=True),
        sa.Column('response_code', sa.SmallInteger(), nullable=True),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('delivery_id'),
        # The queue's statuses, as 0010 constrains the other status columns.
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name='ck_webhook_deliveries_status'),
    )
    for column in ('endpoint_id', 'conversation_id', 'customer_id', 'status', 'next_attempt_at'):
        op.create_index(f'ix_webhook_deliveries_{column}', 'webhook_deliveries', [column])


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')

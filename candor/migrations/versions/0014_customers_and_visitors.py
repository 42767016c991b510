"""customers and visitors: the customer behind the conversations (issue 16)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'customers',
        sa.Column('id', sa.String(128), primary_key=True),
        sa.Column('verified', sa.Boolean(), nullable=False),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('first_seen', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_customers_verified', 'customers', ['verified'])
    op.create_index('ix_customers_last_seen', 'customers', ['last_seen'])
    op.create_table(
        'visitors',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('customer_id', sa.String(128), sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=True),
        sa.Column('first_seen', sa.DateTime(), nullable=False),
        sa.Column('merged_at', sa.DateTime(), nullable=True),
    )
    op.create_index('ix_visitors_customer_id', 'visitors', ['customer_id'])
    # A plain ADD COLUMN (no table copy): a copy of `conversations` would drop the table every message
    # points at. SQLite takes an inline REFERENCES on a NULL column; Alembic only offers it as a
    # separate constraint there, so SQLite gets the statement written out.
    for name, size, target, on_delete in (('customer_id', 128, 'customers', 'SET NULL'),
                                          ('visitor_id', 64, 'visitors', 'SET NULL')):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE conversations ADD COLUMN {name} VARCHAR({size}) '
                       f'REFERENCES {target}(id) ON DELETE {on_delete}')
        else:
            op.add_column('conversations', sa.Column(
                name, sa.String(size), sa.ForeignKey(f'{target}.id', ondelete=on_delete), nullable=True))
    op.create_index('ix_conversations_customer_id', 'conversations', ['customer_id'])
    op.create_index('ix_conversations_visitor_id', 'conversations', ['visitor_id'])


def downgrade() -> None:
    op.drop_index('ix_conversations_visitor_id', 'conversations')
    op.drop_index('ix_conversations_customer_id', 'conversations')
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.drop_column('visitor_id')
        batch_op.drop_column('customer_id')
    op.drop_table('visitors')
    op.drop_table('customers')

"""agents' presence, last console call and capacity

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added columns only: SQLite adds them in place, without rebuilding `users` (whose delete
    # would cascade to the staff's tokens).
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('capacity', sa.Integer(), nullable=False, server_default='3'))
        batch.add_column(sa.Column('presence', sa.String(20), nullable=False, server_default='offline'))
        batch.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('last_seen_at')
        batch.drop_column('presence')
        batch.drop_column('capacity')

"""follow_ups.name: the name a customer may leave with their e-mail address (canned responses'
{customer_name} uses it when the site did not pass one)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An added NULL column: SQLite adds it in place, without rebuilding the table.
    with op.batch_alter_table('follow_ups') as batch:
        batch.add_column(sa.Column('name', sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('follow_ups') as batch:
        batch.drop_column('name')

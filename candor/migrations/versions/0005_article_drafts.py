"""unpublished drafts of published articles

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('draft', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('articles') as batch:
        batch.drop_column('draft')

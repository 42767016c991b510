"""audit log of staff actions; staff accounts can be disabled and carry a display name

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 20:00:00

``display_name`` is what customers see on an agent's messages ("Sam (Support)"); ``disabled_at``
keeps a departed colleague's account (and their name on past work) while refusing sign-in.
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(80), nullable=False),
        sa.Column('action', sa.String(40), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'])
    op.create_index('ix_audit_log_action', 'audit_log', ['action'])
    # Plain ADD COLUMN (nullable, no default) on both databases: no SQLite table rebuild.
    op.add_column('users', sa.Column('display_name', sa.String(80), nullable=True))
    op.add_column('users', sa.Column('disabled_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('disabled_at')
        batch.drop_column('display_name')
    op.drop_index('ix_audit_log_action', 'audit_log')
    op.drop_index('ix_audit_log_at', 'audit_log')
    op.drop_table('audit_log')

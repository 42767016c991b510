"""content gaps: unanswered questions embedded once, grouped incrementally

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 20:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'content_gaps',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('vector_sum', sa.LargeBinary(), nullable=False),
        sa.Column('members', sa.Integer(), nullable=False),
        sa.Column('representative_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by', sa.String(120), nullable=True),
        sa.Column('checked_revision', sa.Integer(), nullable=False),
    )
    op.create_index('ix_content_gaps_closed_at', 'content_gaps', ['closed_at'])
    op.create_table(
        'gap_questions',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('conversation_id', sa.String(36), sa.ForeignKey('conversations.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False, unique=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('text_hash', sa.String(64), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=True),
        sa.Column('gap_id', sa.Integer(), sa.ForeignKey('content_gaps.id', ondelete='SET NULL'), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_gap_questions_conversation_id', 'gap_questions', ['conversation_id'])
    op.create_index('ix_gap_questions_text_hash', 'gap_questions', ['text_hash'])
    op.create_index('ix_gap_questions_created_at', 'gap_questions', ['created_at'])
    op.create_index('ix_gap_questions_gap_created', 'gap_questions', ['gap_id', 'created_at'])
    op.create_table(
        'gap_progress',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('since_recluster', sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('gap_progress')
    op.drop_table('gap_questions')
    op.drop_table('content_gaps')

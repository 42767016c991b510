"""conversation search: a full-text document per conversation, indexed by the database's own engine (issue 16)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 23:15:00

SQLite: an external-content FTS5 table over `conversation_search`, kept by triggers (porter stemming,
like PostgreSQL's 'english'). PostgreSQL: a generated tsvector column with a GIN index. The document's
row goes with its conversation (foreign key cascade), so erasure and retention empty the index too.
Existing transcripts are indexed here, with the same redaction as live writes (touchpoints.search_index).
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_FTS = "conversation_search_fts"
_SQLITE_TRIGGERS = {
    "conversation_search_ai": f"AFTER INSERT ON conversation_search BEGIN "
                              f"INSERT INTO {_FTS}(rowid, body) VALUES (new.doc, new.body); END",
    "conversation_search_ad": f"AFTER DELETE ON conversation_search BEGIN "
                              f"INSERT INTO {_FTS}({_FTS}, rowid, body) VALUES ('delete', old.doc, old.body); END",
    "conversation_search_au": f"AFTER UPDATE OF body ON conversation_search BEGIN "
                              f"INSERT INTO {_FTS}({_FTS}, rowid, body) VALUES ('delete', old.doc, old.body); "
                              f"INSERT INTO {_FTS}(rowid, body) VALUES (new.doc, new.body); END",
}


def upgrade() -> None:
    from touchpoints.search_index import rebuild  # the live writer's redaction, so old and new text match

    bind = op.get_bind()
    columns: list[sa.schema.SchemaItem] = [
        sa.Column('doc', sa.Integer(), primary_key=True, autoincrement=True),  # the FTS5 rowid
        sa.Column('conversation_id', sa.String(36), sa.ForeignKey('conversations.id', ondelete='CASCADE'),
                  nullable=False, unique=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('seen_message_id', sa.Integer(), nullable=False),
    ]
    if bind.dialect.name == 'postgresql':
        columns.append(sa.Column('document', sa.dialects.postgresql.TSVECTOR(),
                                 sa.Computed("to_tsvector('english', body)", persisted=True)))
    op.create_table('conversation_search', *columns)
    if bind.dialect.name == 'postgresql':
        op.create_index('ix_conversation_search_document', 'conversation_search', ['document'],
                        postgresql_using='gin')
    else:
        op.execute(f"CREATE VIRTUAL TABLE {_FTS} USING fts5(body, content='conversation_search', "
                   f"content_rowid='doc', tokenize='porter unicode61 remove_diacritics 2')")
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    rebuild(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute(f"DROP TABLE {_FTS}")
    op.drop_table('conversation_search')

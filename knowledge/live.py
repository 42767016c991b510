"""Search kept in step with the database: every query first checks the revision counter."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from candor.db import connection_scope, session_scope
from knowledge.embedder import Embedder
from knowledge.models import Article
from knowledge.search import Doc, Hit, KnowledgeSearch, SearchResult, doc_from_fields
from knowledge.store import KB_REVISION, snapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from candor.settings import Settings


def doc_from_article(article: Article) -> Doc:
    return doc_from_fields({"id": article.id, **snapshot(article)})


class LiveKnowledge:
    """Published articles only; an edit or publish is visible on the next search.

    The revision check is one indexed read, so doing it on every query costs less than a
    background poller and never serves a stale article. It is a Core read on a pooled connection:
    through an ORM session it cost a tenth of the action server's CPU per turn.
    """

    def __init__(self, search: KnowledgeSearch, database_url: str | None = None) -> None:
        self.search_index = search
        self.database_url = database_url
        self._revision = -1
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()
        self.last_refresh_s = 0.0

    def refresh(self) -> bool:
        """Bring the index up to date; returns whether anything changed."""
        with self._lock:
            with connection_scope(self.database_url) as connection:
                revision = connection.scalar(KB_REVISION) or 0
            if revision == self._revision:
                return False
            with session_scope(self.database_url) as session:
                return self._reload(session, revision)

    def _reload(self, session: Session, revision: int) -> bool:
        started = time.perf_counter()
        rows = session.execute(select(Article.id, Article.version, Article.status)).all()
        published = {row.id: row.version for row in rows if row.status == "published"}
        gone = [aid for aid in self._versions if aid not in published]
        changed = [aid for aid, v in published.items() if self._versions.get(aid) != v]
        if changed:
            articles = session.scalars(select(Article).where(Article.id.in_(changed)))
            self.search_index.upsert(doc_from_article(a) for a in articles)
        self.search_index.remove(gone)
        self._versions = published
        self._revision = revision
        self.last_refresh_s = time.perf_counter() - started
        return True

    def search(self, query: str, k: int = 5) -> SearchResult:
        self.refresh()
        return self.search_index.search(query, k)

    def article_hit(self, article_id: str, question: str) -> Hit | None:
        self.refresh()
        return self.search_index.article_hit(article_id, question)

    def docs(self, kind: str | None = None) -> list[Doc]:
        self.refresh()
        return self.search_index.docs(kind)

    def doc(self, article_id: str) -> Doc | None:
        """An article as the last search saw it (no revision check: it describes that search's hits)."""
        return self.search_index.doc(article_id)

    def similarity(self, text: str, vector: np.ndarray) -> float:
        return self.search_index.similarity(text, vector)


def build_live_knowledge(settings: Settings) -> LiveKnowledge:
    from knowledge.calibration import load_calibration

    embedder = Embedder.in_cache_dir(settings.cache_dir, settings.embedding_model)
    search = KnowledgeSearch(embedder, load_calibration(settings.calibration_file))
    return LiveKnowledge(search, settings.database_url)


"""Article storage with a full version history and a revision counter searchers watch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from knowledge.articles import ArticleIn
from knowledge.models import Article, ArticleVersion, KbRevision

SNAPSHOT_FIELDS = (
    "title", "kind", "body", "questions", "tags", "product", "url", "status", "owner", "fit",
    "cost_breakdown",
)


class ArticleNotFound(LookupError):
    pass


def snapshot(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in SNAPSHOT_FIELDS}


def to_dict(article: Article) -> dict[str, Any]:
    data = {"id": article.id, **snapshot(article)}
    return {key: value for key, value in data.items() if value is not None}


class ArticleStore:
    """Every write records a version and bumps the knowledge-base revision in one transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, article_id: str) -> Article:
        article = self.session.get(Article, article_id)
        if article is None:
            raise ArticleNotFound(f"No article with id {article_id!r}.")
        return article

    def list(self, *, status: str | None = None, kind: str | None = None) -> list[Article]:
        query = select(Article).order_by(Article.id)
        if status:
            query = query.where(Article.status == status)
        if kind:
            query = query.where(Article.kind == kind)
        return list(self.session.scalars(query))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Article)) or 0

    def save(self, data: ArticleIn, *, author: str | None = None, note: str | None = None) -> Article:
        """Create the article or update it in place; either way a new version is recorded."""
        article = self.session.get(Article, data.id)
        fields = data.fields()
        fields.pop("id")
        if article is None:
            article = Article(id=data.id, version=1, **fields)
            self.session.add(article)
        else:
            for name, value in fields.items():
                setattr(article, name, value)
            article.version += 1
        self._record(article, author, note or ("created" if article.version == 1 else "edited"))
        return article

    def set_status(self, article_id: str, status: str, *, author: str | None = None) -> Article:
        article = self.get(article_id)
        article.status = status
        article.version += 1
        self._record(article, author, status)
        return article

    def delete(self, article_id: str) -> None:
        self.session.delete(self.get(article_id))
        self._bump()

    def versions(self, article_id: str) -> list[ArticleVersion]:
        query = (
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.version)
        )
        return list(self.session.scalars(query))

    def restore(self, article_id: str, version: int, *, author: str | None = None) -> Article:
        """Copy an old snapshot forward as a new version, so the history stays complete."""
        old = self.session.scalar(
            select(ArticleVersion).where(
                ArticleVersion.article_id == article_id, ArticleVersion.version == version
            )
        )
        if old is None:
            raise ArticleNotFound(f"Article {article_id!r} has no version {version}.")
        article = self.get(article_id)
        for name, value in old.snapshot.items():
            setattr(article, name, value)
        article.version += 1
        self._record(article, author, f"restored version {version}")
        return article

    def revision(self) -> int:
        return self.session.scalar(select(KbRevision.revision).where(KbRevision.id == 1)) or 0

    def _record(self, article: Article, author: str | None, note: str) -> None:
        self.session.add(
            ArticleVersion(
                article_id=article.id,
                version=article.version,
                snapshot=snapshot(article),
                author=author,
                note=note,
            )
        )
        self._bump()

    def _bump(self) -> None:
        self.session.flush()
        moved = self.session.execute(
            update(KbRevision).where(KbRevision.id == 1).values(revision=KbRevision.revision + 1)
        ).rowcount
        if not moved:
            self.session.add(KbRevision(id=1, revision=1))
        self.session.flush()

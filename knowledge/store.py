"""Article storage with a full version history and a revision counter searchers watch.

Editing follows the draft → publish workflow of help-centre editors: a new article is a draft;
edits of a published article wait in ``Article.draft`` while the published text keeps answering
customers, until someone publishes them. Every save, publish and restore is a version.
"""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from candor.db import rowcount
from knowledge.articles import ArticleContent, ArticleIn
from knowledge.models import Article, ArticleVersion, KbRevision

# The counter every article write moves (one row): searchers compare it to see whether to reload.
KB_REVISION = select(KbRevision.revision).where(KbRevision.id == 1)

SNAPSHOT_FIELDS = (
    "title", "kind", "body", "questions", "tags", "product", "url", "status", "owner", "fit",
    "cost_breakdown",
)


CONTENT_FIELDS = tuple(ArticleContent.model_fields)


class ArticleNotFound(LookupError):
    pass


class ArticleConflict(RuntimeError):
    """Someone saved the article since the editor loaded it; saving would lose their change."""


def snapshot(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in SNAPSHOT_FIELDS}


def working_copy(article: Article) -> dict[str, Any]:
    """What the editor sees: the unpublished draft over the published fields."""
    return {**snapshot(article), **(article.draft or {})}


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
            article.draft = None   # an import is the whole truth about the article
            article.version += 1
        self._record(article, author, note or ("created" if article.version == 1 else "edited"))
        return article

    def save_draft(
        self, article_id: str, content: ArticleContent, *, author: str | None = None,
        base_version: int | None = None, note: str | None = None,
    ) -> Article:
        """The editor's save: creates a draft, or keeps edits of a published article pending."""
        fields = content.fields()
        article = self.session.get(Article, article_id)
        if article is None:
            article = Article(id=article_id, version=1, status="draft", **fields)
            self.session.add(article)
            self._record(article, author, note or "created")
            return article
        self._check_base(article, base_version)
        if article.status == "published":
            article.draft = fields
        else:
            for name, value in fields.items():
                setattr(article, name, value)
            article.status = "draft"
        article.version += 1
        self._record(article, author, note or "draft saved")
        return article

    def publish(self, article_id: str, *, author: str | None = None, base_version: int | None = None) -> Article:
        article = self.get(article_id)
        self._check_base(article, base_version)
        if article.status == "published" and article.draft is None:
            raise ArticleConflict(f"Article {article_id!r} is already published with no unpublished changes.")
        for name, value in (article.draft or {}).items():
            setattr(article, name, value)
        article.draft = None
        return self.set_status(article_id, "published", author=author)

    def discard_draft(self, article_id: str, *, author: str | None = None) -> Article:
        article = self.get(article_id)
        if article.draft is None:
            raise ArticleConflict(f"Article {article_id!r} has no unpublished changes to discard.")
        article.draft = None
        article.version += 1
        self._record(article, author, "draft discarded")
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

    def versions(self, article_id: str) -> builtins.list[ArticleVersion]:  # `list` here is the method above
        query = (
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.version)
        )
        return list(self.session.scalars(query))

    def restore(self, article_id: str, version: int, *, author: str | None = None) -> Article:
        """Bring an old version's text back as a draft; history stays complete, nothing goes live."""
        old = self.session.scalar(
            select(ArticleVersion).where(
                ArticleVersion.article_id == article_id, ArticleVersion.version == version
            )
        )
        if old is None:
            raise ArticleNotFound(f"Article {article_id!r} has no version {version}.")
        self.get(article_id)
        content = ArticleContent.model_validate({k: old.snapshot.get(k) for k in CONTENT_FIELDS})
        return self.save_draft(article_id, content, author=author, note=f"restored version {version}")

    @staticmethod
    def _check_base(article: Article, base_version: int | None) -> None:
        if base_version is not None and base_version != article.version:
            raise ArticleConflict(
                f"{article.id!r} changed since you opened it (you had version {base_version}, it is now "
                f"version {article.version}); reload it and apply your change again."
            )

    def revision(self) -> int:
        return self.session.scalar(KB_REVISION) or 0

    def _record(self, article: Article, author: str | None, note: str) -> None:
        self.session.add(
            ArticleVersion(
                article_id=article.id,
                version=article.version,
                snapshot=working_copy(article),
                author=author,
                note=note,
            )
        )
        self._bump()

    def _bump(self) -> None:
        self.session.flush()
        moved = rowcount(self.session.execute(
            update(KbRevision).where(KbRevision.id == 1).values(revision=KbRevision.revision + 1)
        ))
        if not moved:
            self.session.add(KbRevision(id=1, revision=1))
        self.session.flush()

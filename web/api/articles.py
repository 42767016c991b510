"""The knowledge editor's API: articles, drafts, publishing, versions, preview and "test a question"."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from candor.db import session_scope
from knowledge.articles import ArticleId, EditedContent
from knowledge.models import Article
from knowledge.store import ArticleConflict, ArticleNotFound, ArticleStore, snapshot, working_copy
from routing import audit
from routing.policy import Action, Turn
from routing.staff import User
from touchpoints.article_stats import ArticleStats, article_stats
from touchpoints.sentiment import sentiment
from web.api.staff import RowId, require
from web.knowledge import live_knowledge
from web.markdown import render
from web.schemas import UtcDatetime

router = APIRouter(tags=["knowledge"])

Editor = Annotated[User, Depends(require("editor", "admin"))]
Reader = Annotated[User, Depends(require("agent", "editor", "admin"))]
IfMatch = Annotated[int | None, Header(alias="If-Match", description="The version you edited; 409 if it moved on")]


class NewArticle(EditedContent):
    """A new article always starts as a draft; publishing is its own step."""

    id: ArticleId = Field(description="Slug, e.g. plan-pro-cost")

    def content(self) -> EditedContent:
        return EditedContent.model_validate(self.model_dump(exclude={"id"}))


class Preview(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=50_000)


class ArticleStatsOut(BaseModel):
    """How the article does with customers (touchpoints.article_stats)."""

    used: int
    helpful: int
    unhelpful: int
    escalations_after: int
    helpful_rate: float | None = Field(description="Share of rated answers that helped; None until one is rated")


class ArticleSummary(BaseModel):
    id: str
    title: str
    kind: str
    status: str
    tags: list[str]
    version: int
    has_draft: bool
    updated_at: UtcDatetime
    stats: ArticleStatsOut


class ArticleDetail(ArticleSummary):
    # Free-form objects: stored versions keep the fields of their day, which today's rules may refuse.
    working: dict[str, Any] = Field(description="What the editor edits: the draft over the published fields")
    published: dict[str, Any] | None = Field(description="What customers get; None unless published")


class ArticleVersionEntry(BaseModel):
    version: int
    note: str | None
    author: str | None
    created_at: UtcDatetime
    snapshot: dict[str, Any]
    diff: str = Field(description="Unified diff against the version before it")


class PreviewHtml(BaseModel):
    html: str


class TrialAnswer(BaseModel):
    article_id: str
    title: str
    passage: str


class TrialHit(BaseModel):
    article_id: str
    title: str
    kind: str
    score: float
    matched: str


class QuestionTrial(BaseModel):
    """What the bot would do with a question now."""

    query: str
    action: Action
    reasons: list[str]
    team: str | None = Field(description="Who would get the handoff; None for an answer")
    confidence: float
    sure: bool
    answer: TrialAnswer | None = Field(description="The article a sure answer quotes")
    hits: list[TrialHit]


def _summary(article: Article, stats: ArticleStats) -> ArticleSummary:
    return ArticleSummary(
        id=article.id, title=article.title, kind=article.kind, status=article.status,
        tags=article.tags or [], version=article.version, has_draft=article.draft is not None,
        updated_at=article.updated_at, stats=ArticleStatsOut(**stats.public()),
    )


def _detail(article: Article, stats: ArticleStats) -> ArticleDetail:
    return ArticleDetail(
        **dict(_summary(article, stats)),
        working=working_copy(article),                     # what the editor edits
        published=snapshot(article) if article.status == "published" else None,  # what customers get
    )


def _stats_of(session: Session, article_id: str) -> ArticleStats:
    return article_stats(session).get(article_id, ArticleStats())


T = TypeVar("T")


def _edit(action: Callable[[], T]) -> T:
    """Run a store call, answering 404/409 with the store's own explanation."""
    try:
        return action()
    except ArticleNotFound as error:
        raise HTTPException(404, str(error)) from error
    except ArticleConflict as error:
        raise HTTPException(409, str(error)) from error
    except ValidationError as error:   # an old version that today's rules refuse, e.g. an amount without £
        problems = [f"{'.'.join(map(str, e['loc'])) or 'article'}: {e['msg'].removeprefix('Value error, ')}"
                    for e in error.errors()]
        raise HTTPException(422, "; ".join(problems)) from error


@router.get("/api/articles")
def list_articles(
    user: Reader,
    kind: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title or id")] = None,
) -> list[ArticleSummary]:
    with session_scope() as session:
        stats = article_stats(session)
        articles = ArticleStore(session).list(status=status, kind=kind)
        if tag:
            articles = [a for a in articles if tag in (a.tags or [])]
        if q:
            words = q.lower().split()
            articles = [a for a in articles if all(w in f"{a.id} {a.title}".lower() for w in words)]
        return [_summary(a, stats.get(a.id, ArticleStats())) for a in articles]


@router.post("/api/articles", status_code=201)
def create_article(body: NewArticle, user: Editor) -> ArticleDetail:
    with session_scope() as session:
        store = ArticleStore(session)
        if session.get(Article, body.id) is not None:
            raise HTTPException(409, f"An article with id {body.id!r} already exists; pick another id.")
        article = store.save_draft(body.id, body.content(), author=user.username)
        return _detail(article, ArticleStats())


@router.get("/api/articles/{article_id}")
def get_article(article_id: str, user: Reader) -> ArticleDetail:
    with session_scope() as session:
        article = _edit(lambda: ArticleStore(session).get(article_id))
        return _detail(article, _stats_of(session, article_id))


@router.put("/api/articles/{article_id}")
def save_article(article_id: str, body: EditedContent, user: Editor, if_match: IfMatch = None) -> ArticleDetail:
    """Saves a draft; on a published article the edit waits, unpublished, until it is published."""
    with session_scope() as session:
        store = ArticleStore(session)
        _edit(lambda: store.get(article_id))   # PUT edits; POST /api/articles creates
        article = _edit(lambda: store.save_draft(article_id, body, author=user.username, base_version=if_match))
        return _detail(article, _stats_of(session, article_id))


@router.delete("/api/articles/{article_id}", status_code=204)
def delete_article(article_id: str, user: Editor) -> None:
    with session_scope() as session:
        _edit(lambda: ArticleStore(session).delete(article_id))


# A store call moving an article on: (store, article id, author, the version the editor saw) → the article.
Transition = Callable[[ArticleStore, str, str, int | None], Article]


def _transition(path: str, summary: str, call: Transition) -> Callable[..., ArticleDetail]:
    @router.post(f"/api/articles/{{article_id}}/{path}", summary=summary)
    def transition(article_id: str, user: Editor, if_match: IfMatch = None) -> ArticleDetail:
        with session_scope() as session:
            article = _edit(lambda: call(ArticleStore(session), article_id, user.username, if_match))
            if path == "publish":
                audit.record(session, user.username, "article.published", article_id, version=article.version)
            return _detail(article, _stats_of(session, article_id))

    return transition


_transition("publish", "Publish the article (with its pending draft, if any)",
            lambda store, aid, who, base: store.publish(aid, author=who, base_version=base))
_transition("archive", "Take the article off the bot; it stays editable",
            lambda store, aid, who, base: store.set_status(aid, "archived", author=who))
_transition("discard-draft", "Drop unpublished changes; the published text stays",
            lambda store, aid, who, base: store.discard_draft(aid, author=who))


def _lines(snap: dict[str, Any]) -> list[str]:
    """A version as text, one field per line, cost rows and fit entries one per line, the body line by line."""
    lines = [f"{name}: {snap.get(name)}" for name in ("title", "kind", "status", "url", "tags", "questions")]
    lines += [" · ".join(filter(None, (f"cost: {row.get('item')}", row.get("amount"), row.get("note"))))
              for row in snap.get("cost_breakdown") or []]
    fit = snap.get("fit") or {}
    lines += [f"good for: {line}" for line in fit.get("good_for") or []]
    lines += [f"not for: {line}" for line in fit.get("poor_for") or []]
    if c := fit.get("criteria"):
        lines.append(f"fit criteria: households of {c.get('household_min')}–{c.get('household_max')}"
                     f" · uses {', '.join(c.get('uses') or [])} · £{c.get('monthly_price', 0):.2f} a month")
    return lines + ["body:"] + str(snap.get("body") or "").splitlines()


@router.get("/api/articles/{article_id}/versions")
def versions(article_id: str, user: Reader) -> list[ArticleVersionEntry]:
    """Newest first, each with its diff against the version before it."""
    with session_scope() as session:
        rows = ArticleStore(session).versions(article_id)
        if not rows:
            raise HTTPException(404, f"No article with id {article_id!r}.")
        out: list[ArticleVersionEntry] = []
        previous: list[str] = []
        for row in rows:
            current = _lines(row.snapshot)
            diff = difflib.unified_diff(previous, current, f"version {row.version - 1}", f"version {row.version}",
                                        lineterm="")
            out.append(ArticleVersionEntry(version=row.version, note=row.note, author=row.author,
                                           created_at=row.created_at, snapshot=row.snapshot, diff="\n".join(diff)))
            previous = current
        return out[::-1]


@router.post("/api/articles/{article_id}/versions/{version}/restore")
def restore(article_id: str, version: RowId, user: Editor) -> ArticleDetail:
    """The old text comes back as a draft to review and publish; nothing changes for customers yet."""
    with session_scope() as session:
        article = _edit(lambda: ArticleStore(session).restore(article_id, version, author=user.username))
        return _detail(article, _stats_of(session, article_id))


@router.post("/api/articles/preview")
def preview(body: Preview, user: Editor) -> PreviewHtml:
    return PreviewHtml(html=render(body.body))


@router.get("/api/search")
async def test_question(
    request: Request, user: Reader, q: Annotated[str, Query(min_length=1, max_length=1000)],
) -> QuestionTrial:
    """What the bot would do with this question now: answer (which article, how sure) or hand over."""
    if not q.strip():
        raise HTTPException(422, "q: ask a question with some words in it")
    knowledge = await run_in_threadpool(live_knowledge, request)
    result = await run_in_threadpool(knowledge.search, q)
    decision = request.app.state.chat.router.decide(Turn(result, text=q, sentiment=sentiment(q)))
    best = result.best if result.sure else None  # the article a sure answer quotes
    return QuestionTrial(
        query=q,
        action=decision.action,
        reasons=decision.reasons,
        team=decision.team if decision.action != "answer" else None,
        confidence=round(result.confidence, 4),
        sure=result.sure,
        answer=TrialAnswer(article_id=best.article_id, title=best.title, passage=best.passage) if best else None,
        hits=[TrialHit(article_id=h.article_id, title=h.title, kind=h.kind, score=round(h.score, 4),
                        matched=h.matched) for h in result.hits],
    )

import pytest

from knowledge.articles import ArticleContent, ArticleIn
from knowledge.store import ArticleConflict, ArticleNotFound, ArticleStore, working_copy

pytestmark = pytest.mark.unit


def article(**changes) -> ArticleIn:
    data = {
        "id": "plan-plus-cost",
        "title": "What Plus costs",
        "kind": "cost",
        "body": "Plus is £36 a month.\n\nThat pays for the line and support.",
        "questions": ["how much is plus"],
        "status": "published",
        "cost_breakdown": [{"item": "Monthly", "amount": "£36.00", "note": "line and support"}],
    }
    data.update(changes)
    return ArticleIn(**data)


def test_every_edit_is_a_version_and_moves_the_revision(session):
    store = ArticleStore(session)
    before = store.revision()
    store.save(article())
    store.save(article(body="Plus is £38 a month from April."))
    assert store.get("plan-plus-cost").version == 2
    assert [v.version for v in store.versions("plan-plus-cost")] == [1, 2]
    assert store.versions("plan-plus-cost")[0].snapshot["body"].startswith("Plus is £36")
    assert store.revision() == before + 2


def content(**changes) -> ArticleContent:
    data = article(**changes).model_dump(exclude={"id", "status"})
    return ArticleContent(**data)


def test_restore_brings_an_old_version_back_as_a_draft(session):
    store = ArticleStore(session)
    store.save(article())
    store.save(article(title="Changed title"))
    restored = store.restore("plan-plus-cost", 1, author="editor")
    # Published: customers keep the current text until the restored one is published.
    assert restored.title == "Changed title" and restored.draft["title"] == "What Plus costs"
    assert restored.version == 3
    assert store.versions("plan-plus-cost")[-1].note == "restored version 1"
    assert store.publish("plan-plus-cost", author="editor").title == "What Plus costs"


def test_edits_of_a_published_article_wait_until_published(session):
    store = ArticleStore(session)
    store.save(article())
    live_body = store.get("plan-plus-cost").body
    revision = store.revision()
    edited = store.save_draft("plan-plus-cost", content(body="Plus is £38 a month from April."), author="ed")
    assert edited.status == "published" and edited.body == live_body
    assert working_copy(edited)["body"] == "Plus is £38 a month from April."
    assert store.versions("plan-plus-cost")[-1].snapshot["body"] == "Plus is £38 a month from April."
    assert store.revision() == revision + 1
    published = store.publish("plan-plus-cost", author="ed")
    assert published.body == "Plus is £38 a month from April." and published.draft is None
    with pytest.raises(ArticleConflict, match="already published"):
        store.publish("plan-plus-cost")


def test_a_new_article_is_a_draft_and_discarding_keeps_the_published_text(session):
    store = ArticleStore(session)
    created = store.save_draft("router-tradeoffs", content(title="Own router or ours?", kind="tradeoff"))
    assert created.status == "draft" and created.draft is None and created.version == 1
    store.publish("router-tradeoffs")
    store.save_draft("router-tradeoffs", content(title="Your own router or ours?", kind="tradeoff"))
    kept = store.discard_draft("router-tradeoffs", author="ed")
    assert kept.title == "Own router or ours?" and kept.draft is None
    with pytest.raises(ArticleConflict, match="no unpublished changes"):
        store.discard_draft("router-tradeoffs")


def test_saving_over_someone_elses_newer_version_is_refused(session):
    store = ArticleStore(session)
    store.save(article())
    store.save_draft("plan-plus-cost", content(body="First editor's change."), base_version=1)
    with pytest.raises(ArticleConflict, match="version 2"):
        store.save_draft("plan-plus-cost", content(body="Second editor's change."), base_version=1)
    assert working_copy(store.get("plan-plus-cost"))["body"] == "First editor's change."


def test_status_changes_are_versions_and_missing_articles_raise(session):
    store = ArticleStore(session)
    store.save(article(status="draft"))
    store.set_status("plan-plus-cost", "published")
    assert store.get("plan-plus-cost").status == "published"
    assert store.versions("plan-plus-cost")[-1].note == "published"
    with pytest.raises(ArticleNotFound):
        store.get("nope")
    with pytest.raises(ArticleNotFound):
        store.restore("plan-plus-cost", 99)


def test_delete_removes_and_bumps(session):
    store = ArticleStore(session)
    store.save(article())
    revision = store.revision()
    store.delete("plan-plus-cost")
    assert store.count() == 0
    assert store.revision() == revision + 1

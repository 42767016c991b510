import pytest

from knowledge.articles import ArticleIn
from knowledge.store import ArticleNotFound, ArticleStore

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


def test_restore_copies_an_old_version_forward(session):
    store = ArticleStore(session)
    store.save(article())
    store.save(article(title="Changed title"))
    restored = store.restore("plan-plus-cost", 1, author="editor")
    assert restored.title == "What Plus costs"
    assert restored.version == 3
    assert store.versions("plan-plus-cost")[-1].note == "restored version 1"


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

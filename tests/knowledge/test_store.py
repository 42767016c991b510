import pytest
from pydantic import ValidationError

from knowledge.articles import ArticleContent, ArticleIn, EditedContent
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


def test_a_cost_breakdown_or_fit_edit_is_a_version_and_restores(session):
    store = ArticleStore(session)
    store.save(article())
    rows = [{"item": "Monthly", "amount": "£38.00", "note": "line, support and April's rise"}]
    store.save_draft("plan-plus-cost", content(cost_breakdown=rows), author="ed")
    assert store.versions("plan-plus-cost")[-1].snapshot["cost_breakdown"] == rows
    assert store.get("plan-plus-cost").cost_breakdown[0]["amount"] == "£36.00"   # published stays until publish
    restored = store.restore("plan-plus-cost", 1)
    assert working_copy(restored)["cost_breakdown"][0]["amount"] == "£36.00"

    fit = {"good_for": ["Families"], "poor_for": ["People living alone"],
           "criteria": {"household_min": 3, "household_max": 5, "uses": ["gaming"], "monthly_price": 36.0}}
    store.save(article(id="plus-fit", kind="fit", cost_breakdown=None, fit=fit))
    store.save_draft("plus-fit", content(kind="fit", cost_breakdown=None, fit={**fit, "good_for": ["Big families"]}))
    assert [v.snapshot["fit"]["good_for"] for v in store.versions("plus-fit")] == [["Families"], ["Big families"]]
    assert store.versions("plus-fit")[-1].snapshot["fit"]["criteria"] == fit["criteria"]


@pytest.mark.parametrize("amount", ["£95.00", "£60", "£0.00", "£5 a month", "£60 plus VAT", "£5/month", "-£5.00",
                                    "£1,250.00", " £12.50 "])
def test_cost_amounts_in_pounds_are_accepted(amount):
    assert article(cost_breakdown=[{"item": "Fee", "amount": amount}]).cost_breakdown[0].amount == amount.strip()


@pytest.mark.parametrize("amount", ["", "60", "£", "£9.5", "£ 60", "about £60", "£5a month", "£12,34", "$5", "£60."])
def test_cost_amounts_that_are_not_money_are_refused_with_the_rule(amount):
    with pytest.raises(ValidationError, match=r"amount must be money in pounds, e\.g\. £12\.50"):
        article(cost_breakdown=[{"item": "Fee", "amount": amount}])


def test_the_editor_keeps_breakdowns_on_cost_articles_and_fit_lists_on_fit_ones():
    base = {"title": "Own router?", "kind": "tradeoff", "body": "Either works."}
    with pytest.raises(ValidationError, match="only cost articles have a cost breakdown"):
        EditedContent(**base, cost_breakdown=[{"item": "Router", "amount": "£0.00"}])
    with pytest.raises(ValidationError, match="only fit articles say who an offer suits"):
        EditedContent(**base, fit={"good_for": ["gamers"]})
    assert EditedContent(**base, cost_breakdown=[], fit={"good_for": ["  "]}).fit.good_for == []
    # Files and old versions are not held to it, so they stay loadable.
    assert ArticleIn(id="x", **base, cost_breakdown=[{"item": "Router", "amount": "£0.00"}]).cost_breakdown

"""The knowledge editor's API against the real database and the real search model."""

import secrets

import pytest
from fastapi.testclient import TestClient

from candor.db import session_scope
from knowledge.models import Article, ArticleVersion
from routing import staff

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app(database, embedder):
    from candor.settings import Settings
    from knowledge.calibration import load_calibration
    from knowledge.live import LiveKnowledge
    from knowledge.search import KnowledgeSearch
    from web.app import create_app

    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t"))
    app.state.knowledge = LiveKnowledge(KnowledgeSearch(embedder, load_calibration()), database)
    return app


@pytest.fixture(scope="module")
def prefix(app):
    """Articles of this module carry a random prefix and are removed afterwards (unit tests share a DB)."""
    prefix = f"t{secrets.token_hex(3)}-"
    yield prefix
    with session_scope() as session:
        for article in session.query(Article).filter(Article.id.startswith(prefix)):
            session.delete(article)


def sign_in(client: TestClient, role: str) -> dict[str, str]:
    name = f"{role}-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, role, [])
    token = client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def new(article_id: str, **changes) -> dict:
    return {"id": article_id, "title": "Is there a student discount?", "kind": "policy",
            "body": "Students get **20% off** any plan for up to 4 years with a valid student card.",
            "questions": ["do you have a student discount", "discount for students"],
            "tags": ["discounts"], **changes}


def test_draft_publish_edit_and_restore_with_versions(app, prefix):
    client = TestClient(app)
    editor = sign_in(client, "editor")
    aid = f"{prefix}student-discount"
    made = client.post("/api/articles", headers=editor, json=new(aid))
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "draft" and made.json()["published"] is None
    assert client.post("/api/articles", headers=editor, json=new(aid)).status_code == 409
    assert client.post(f"/api/articles/{aid}/publish", headers=editor).json()["status"] == "published"

    edit = {k: v for k, v in new(aid, body="Students get 25% off.").items() if k != "id"}
    saved = client.put(f"/api/articles/{aid}", headers={**editor, "If-Match": "2"}, json=edit)
    assert saved.status_code == 200, saved.text
    detail = saved.json()
    assert detail["has_draft"] and detail["working"]["body"] == "Students get 25% off."
    assert detail["published"]["body"].startswith("Students get **20% off**")   # customers still get this
    stale = client.put(f"/api/articles/{aid}", headers={**editor, "If-Match": "2"}, json=edit)
    assert stale.status_code == 409 and "reload" in stale.json()["detail"]

    versions = client.get(f"/api/articles/{aid}/versions", headers=editor).json()
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert "-body:" not in versions[0]["diff"]
    assert "+Students get 25% off." in versions[0]["diff"] and "-Students get **20% off**" in versions[0]["diff"]
    restored = client.post(f"/api/articles/{aid}/versions/1/restore", headers=editor).json()
    assert restored["working"]["body"].startswith("Students get **20% off**") and restored["version"] == 4
    assert client.post(f"/api/articles/{aid}/versions/99/restore", headers=editor).status_code == 404
    # A version no row can have used to reach SQLite (2**63: OverflowError, a 500).
    for version in (2**63, 0):
        assert client.post(f"/api/articles/{aid}/versions/{version}/restore", headers=editor).status_code == 422


def test_roles_validation_and_filters(app, prefix):
    client = TestClient(app)
    editor, agent = sign_in(client, "editor"), sign_in(client, "agent")
    aid = f"{prefix}router-choice"
    assert client.post("/api/articles", headers=agent, json=new(aid)).status_code == 403
    assert client.post("/api/articles", json=new(aid)).status_code == 401
    bad = client.post("/api/articles", headers=editor, json=new("has space", kind="rumour", url="javascript:x"))
    assert bad.status_code == 422
    assert all(word in bad.json()["detail"] for word in ("id", "kind", "url"))
    blank = client.post("/api/articles", headers=editor, json=new(aid, body="   "))
    assert blank.status_code == 422 and "body: must not be blank" in blank.json()["detail"]
    assert client.put(f"/api/articles/{prefix}missing", headers=editor,
                      json={k: v for k, v in new(aid).items() if k != "id"}).status_code == 404

    client.post("/api/articles", headers=editor, json=new(aid, kind="tradeoff", tags=["hardware"]))
    listed = client.get("/api/articles", headers=agent, params={"kind": "tradeoff", "tag": "hardware", "q": prefix})
    assert [a["id"] for a in listed.json()] == [aid]
    assert client.get("/api/articles", headers=agent, params={"kind": "cost", "q": prefix}).json() == []
    assert client.delete(f"/api/articles/{aid}", headers=agent).status_code == 403
    assert client.delete(f"/api/articles/{aid}", headers=editor).status_code == 204
    assert client.get(f"/api/articles/{aid}", headers=editor).status_code == 404


def test_preview_renders_markdown_and_drops_anything_that_could_run(app):
    client = TestClient(app)
    editor = sign_in(client, "editor")
    html = client.post("/api/articles/preview", headers=editor, json={
        "body": "**Fair** [terms](https://example.com) <script>alert(1)</script> [x](javascript:alert(1))\n\n"
                "<img src=x onerror=alert(1)>"}).json()["html"]
    assert "<strong>Fair</strong>" in html and 'href="https://example.com"' in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html   # shown as the text it is


def test_test_a_question_follows_publishing(app, prefix):
    client = TestClient(app)
    editor = sign_in(client, "editor")
    aid = f"{prefix}pets"
    client.post("/api/articles", headers=editor, json=new(
        aid, title="Can an engineer visit if I have a dog?", kind="howto",
        body="Yes. Tell us when you book and the engineer will ask you to keep the dog in another room.",
        questions=["can the engineer come if I have a dog", "I have pets, is installation ok"]))
    question = {"q": "can the engineer come if I have a dog"}
    before = client.get("/api/search", headers=editor, params=question).json()
    assert all(hit["article_id"] != aid for hit in before["hits"])   # a draft never answers customers
    client.post(f"/api/articles/{aid}/publish", headers=editor)
    after = client.get("/api/search", headers=editor, params=question).json()
    assert after["hits"][0]["article_id"] == aid
    assert after["action"] == "answer" and after["answer"]["article_id"] == aid and after["confidence"] > 0.5
    client.post(f"/api/articles/{aid}/archive", headers=editor)
    archived = client.get("/api/search", headers=editor, params=question).json()
    assert all(hit["article_id"] != aid for hit in archived["hits"])
    assert client.get("/api/search", headers=editor, params={"q": "  "}).status_code == 422


def cost(article_id: str, **changes) -> dict:
    rows = [{"item": " Engineer visit ", "amount": "£60.00", "note": " two hours on site "},
            {"item": "Router", "amount": "£0.00", "note": ""}]
    return new(article_id, **{"title": "How much is installation?", "kind": "cost", "body": "Installation is £60.",
                              "questions": ["how much is installation"], "tags": ["fees"], "cost_breakdown": rows,
                              **changes})


def test_cost_breakdown_is_money_versioned_and_restorable(app, prefix):
    client = TestClient(app)
    editor = sign_in(client, "editor")
    aid = f"{prefix}installation"
    made = client.post("/api/articles", headers=editor, json=cost(aid))
    assert made.status_code == 201, made.text
    assert made.json()["working"]["cost_breakdown"] == [
        {"item": "Engineer visit", "amount": "£60.00", "note": "two hours on site"},
        {"item": "Router", "amount": "£0.00", "note": ""}]

    def put(rows: list[dict], **changes):
        body = {k: v for k, v in cost(aid, cost_breakdown=rows, **changes).items() if k != "id"}
        return client.put(f"/api/articles/{aid}", headers=editor, json=body)

    for amount in ("60", "£9.5", "about £60", "£ 60", "sixty pounds"):
        bad = put([{"item": "Engineer visit", "amount": amount}])
        assert bad.status_code == 422, amount
        assert bad.json()["detail"] == (
            "cost_breakdown.0.amount: amount must be money in pounds, e.g. £12.50, £60 or £5 a month")
    blank = put([{"item": "Router", "amount": "£1"}, {"item": "  ", "amount": "£5"}])
    assert blank.status_code == 422
    assert blank.json()["detail"] == "cost_breakdown.1.item: item must say what the money pays for, e.g. Engineer visit"
    wrong_kind = put([{"item": "Engineer visit", "amount": "£60"}], kind="policy")
    assert wrong_kind.status_code == 422 and "only cost articles have a cost breakdown" in wrong_kind.json()["detail"]
    assert put([], kind="policy").status_code == 200            # an empty breakdown is no breakdown
    assert client.get(f"/api/articles/{aid}/versions", headers=editor).json()[0]["version"] == 2

    rows = [{"item": "Engineer visit", "amount": "£65 plus VAT", "note": "two hours on site"},
            {"item": "Discount", "amount": "-£5.00", "note": ""}, {"item": "Rental", "amount": "£1,250/year"}]
    saved = put(rows)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 3 and saved.json()["working"]["cost_breakdown"][0]["amount"] == "£65 plus VAT"
    latest = client.get(f"/api/articles/{aid}/versions", headers=editor).json()[0]
    assert latest["snapshot"]["cost_breakdown"][1] == {"item": "Discount", "amount": "-£5.00", "note": ""}
    assert "+cost: Engineer visit · £65 plus VAT · two hours on site" in latest["diff"]
    assert "+cost: Rental · £1,250/year" in latest["diff"]
    restored = client.post(f"/api/articles/{aid}/versions/1/restore", headers=editor).json()
    assert restored["version"] == 4 and restored["working"]["cost_breakdown"][0]["amount"] == "£60.00"
    diff = client.get(f"/api/articles/{aid}/versions", headers=editor).json()[0]["diff"]
    assert "-cost: Engineer visit · £65 plus VAT · two hours on site" in diff
    assert "+cost: Engineer visit · £60.00 · two hours on site" in diff

    # A version saved before amounts had to be money is refused with the reason, not a server error.
    with session_scope() as session:
        first = session.query(ArticleVersion).filter_by(article_id=aid, version=1).one()
        first.snapshot = {**first.snapshot, "cost_breakdown": [{"item": "Engineer visit", "amount": "60"}]}
    old = client.post(f"/api/articles/{aid}/versions/1/restore", headers=editor)
    assert old.status_code == 422 and "amount must be money in pounds" in old.json()["detail"]


def test_fit_lists_are_trimmed_and_criteria_kept(app, prefix):
    client = TestClient(app)
    editor = sign_in(client, "editor")
    aid = f"{prefix}who-plus-suits"
    criteria = {"household_min": 3, "household_max": 5, "uses": ["everyday", "gaming"], "monthly_price": 36.0}
    fit = {"good_for": [" Families of three to five ", "", "Gamers"], "poor_for": ["People living alone"],
           "criteria": criteria}
    made = client.post("/api/articles", headers=editor, json=new(aid, kind="fit", title="Who is Plus for?", fit=fit))
    assert made.status_code == 201, made.text
    assert made.json()["working"]["fit"] == {**fit, "good_for": ["Families of three to five", "Gamers"]}
    edit = {k: v for k, v in new(aid, kind="fit", title="Who is Plus for?").items() if k != "id"}
    saved = client.put(f"/api/articles/{aid}", headers=editor,
                       json={**edit, "fit": {**fit, "good_for": ["Families", "Shared houses"]}})
    assert saved.json()["working"]["fit"]["criteria"] == criteria
    diff = client.get(f"/api/articles/{aid}/versions", headers=editor).json()[0]["diff"]
    assert "+good for: Shared houses" in diff and "-good for: Gamers" in diff
    assert "+fit criteria" not in diff
    assert " fit criteria: households of 3–5 · uses everyday, gaming · £36.00 a month" in diff

    upside_down = client.put(f"/api/articles/{aid}", headers=editor, json={
        **edit, "fit": {**fit, "criteria": {**criteria, "household_min": 6}}})
    assert upside_down.status_code == 422
    assert upside_down.json()["detail"] == "fit.criteria: the smallest household must not be bigger than the largest"
    long = client.put(f"/api/articles/{aid}", headers=editor, json={**edit, "fit": {"good_for": ["x" * 301]}})
    assert long.status_code == 422 and long.json()["detail"].startswith("fit.good_for.0: ")
    wrong_kind = client.put(f"/api/articles/{aid}", headers=editor, json={**edit, "kind": "policy", "fit": fit})
    assert wrong_kind.status_code == 422 and "only fit articles" in wrong_kind.json()["detail"]

"""Permission matrix: every route of the app x seven principals -> the status the product intends.

The expectations below are written from what each role SHOULD be able to do, not copied from
responses: customers reach only their own conversation; agents the console APIs (their team's
escalations, follow-ups and canned responses); editors the knowledge base and analytics; admins
everything staff can do; anonymous callers only the public endpoints. A route missing from the
table fails `test_every_route_is_in_the_matrix`, so a new route cannot skip this check.

Rasa is pointed at a closed port (9), so every customer message queues for a person, in the
team the policy gives a bot outage ("general").
"""

import secrets
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount

from candor.db import session_scope
from conversations.outbox import OutboundMail
from knowledge.models import Article
from knowledge.search import SearchResult
from knowledge.store import ArticleStore
from routing import staff
from routing.models import Escalation
from touchpoints import webhooks
from touchpoints.webhook_models import WebhookEndpoint

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"
TEAM, OTHER_TEAM = "general", "billing"
PRINCIPALS = ("anonymous", "other_customer", "customer", "agent", "other_agent", "editor", "admin")

# Columns follow PRINCIPALS. 401: no valid credentials of the kind the route takes; 403: signed in
# with the wrong role; 404: not yours, answered exactly like "no such id" (see the no-leak tests).
# Agents are "agent" (team X) and "other_agent"; escalations, follow-ups and canned responses in paths
# are team X's. Routes marked * get a fresh object per cell (FRESH), so cell order never matters.
MATRIX = {  #                                                  anon other cust agent other editor admin
    "GET /healthz":                                            (503, 503, 503, 503, 503, 503, 503),  # Rasa down
    "GET /readyz":                                             (503, 503, 503, 503, 503, 503, 503),  # Rasa down
    "GET /openapi.json":                                       (200, 200, 200, 200, 200, 200, 200),
    "POST /api/conversations":                                 (201, 201, 201, 201, 201, 201, 201),
    "POST /api/conversations/{conversation_id}/messages":      (401, 404, 200, 404, 404, 404, 404),
    "POST /api/conversations/{conversation_id}/rating":        (401, 404, 200, 404, 404, 404, 404),
    "GET /api/conversations/{conversation_id}":                (401, 404, 200, 404, 404, 404, 404),
    "GET /api/conversations/{conversation_id}/events":         (401, 404, 200, 404, 404, 404, 404),
    "POST /api/conversations/{conversation_id}/follow-up":     (401, 404, 201, 404, 404, 404, 404),
    "POST /api/auth/login":                                    (200, 200, 200, 200, 200, 200, 200),
    "GET /api/auth/me":                                        (401, 401, 401, 200, 200, 200, 200),
    # Any bearer token is "logged out" (an unknown one has nothing to revoke), so the answer is no
    # oracle for token validity. Staff log out a fresh token of their own here.
    "POST /api/auth/logout":                                   (401, 200, 200, 200, 200, 200, 200),
    "GET /api/escalations":                                    (401, 401, 401, 200, 200, 403, 200),
    "GET /api/escalations/{escalation_id}":                    (401, 401, 401, 200, 404, 403, 200),
    "GET /api/escalations/events":                             (401, 401, 401, 200, 404, 403, 200),  # ?open=
    "POST /api/escalations/{escalation_id}/notes":             (401, 401, 401, 201, 404, 403, 201),
    "POST /api/escalations/{escalation_id}/claim":             (401, 401, 401, 200, 404, 403, 200),  # * queued
    # Held by "agent": admins may step in (escalations.py allows it on purpose).
    "POST /api/escalations/{escalation_id}/messages":          (401, 401, 401, 200, 404, 403, 200),
    "POST /api/escalations/{escalation_id}/resolve":           (401, 401, 401, 200, 404, 403, 200),  # * held
    "POST /api/escalations/{escalation_id}/unclaim":           (401, 401, 401, 200, 404, 403, 200),  # * held
    "POST /api/escalations/{escalation_id}/transfer":          (401, 401, 401, 200, 404, 403, 200),  # * held
    # Presence is the caller's own; the list shows the agents of the caller's teams.
    "PUT /api/agents/me/presence":                             (401, 401, 401, 200, 200, 403, 200),
    "GET /api/agents":                                         (401, 401, 401, 200, 200, 403, 200),
    "GET /api/follow-ups":                                     (401, 401, 401, 200, 200, 403, 200),
    "POST /api/follow-ups/{follow_up_id}/done":                (401, 401, 401, 200, 404, 403, 200),  # *
    "POST /api/follow-ups/{follow_up_id}/reply":               (401, 401, 401, 201, 404, 403, 201),
    "POST /api/conversations/{conversation_id}/email-transcript": (401, 404, 202, 404, 404, 404, 404),
    "GET /api/outbox":                                         (401, 401, 401, 403, 403, 403, 200),
    "POST /api/outbox/{mail_id}/retry":                        (401, 401, 401, 403, 403, 403, 200),  # * queued
    "GET /api/canned-responses":                               (401, 401, 401, 200, 200, 403, 200),
    "POST /api/canned-responses":                              (401, 401, 401, 201, 201, 403, 201),  # shared one
    "PUT /api/canned-responses/{canned_id}":                   (401, 401, 401, 200, 404, 403, 200),
    "DELETE /api/canned-responses/{canned_id}":                (401, 401, 401, 204, 404, 403, 204),  # *
    "GET /api/articles":                                       (401, 401, 401, 200, 200, 200, 200),
    "POST /api/articles":                                      (401, 401, 401, 403, 403, 201, 201),  # * new id
    "GET /api/articles/{article_id}":                          (401, 401, 401, 200, 200, 200, 200),
    "PUT /api/articles/{article_id}":                          (401, 401, 401, 403, 403, 200, 200),
    "DELETE /api/articles/{article_id}":                       (401, 401, 401, 403, 403, 204, 204),  # *
    "POST /api/articles/{article_id}/publish":                 (401, 401, 401, 403, 403, 200, 200),  # * draft
    "POST /api/articles/{article_id}/archive":                 (401, 401, 401, 403, 403, 200, 200),  # *
    "POST /api/articles/{article_id}/discard-draft":           (401, 401, 401, 403, 403, 200, 200),  # * pending
    "GET /api/articles/{article_id}/versions":                 (401, 401, 401, 200, 200, 200, 200),
    "POST /api/articles/{article_id}/versions/{version}/restore": (401, 401, 401, 403, 403, 200, 200),
    "POST /api/articles/preview":                              (401, 401, 401, 403, 403, 200, 200),
    "GET /api/search":                                         (401, 401, 401, 200, 200, 200, 200),
    "GET /api/touchpoints":                                    (401, 401, 401, 403, 403, 200, 200),
    "GET /api/touchpoints/{conversation_id}":                  (401, 401, 401, 403, 403, 200, 200),
    "GET /api/analytics/summary":                              (401, 401, 401, 403, 403, 200, 200),
    "GET /api/analytics/export.csv":                           (401, 401, 401, 403, 403, 200, 200),
    "GET /api/analytics/journey":                              (401, 401, 401, 403, 403, 200, 200),
    "GET /api/analytics/journey.csv":                          (401, 401, 401, 403, 403, 200, 200),
    "POST /api/admin/erase":                                   (401, 401, 401, 403, 403, 403, 200),  # *
    "GET /api/admin/staff":                                    (401, 401, 401, 403, 403, 403, 200),
    "POST /api/admin/staff":                                   (401, 401, 401, 403, 403, 403, 201),  # * new name
    "PATCH /api/admin/staff/{user_id}":                        (401, 401, 401, 403, 403, 403, 200),  # *
    "POST /api/admin/staff/{user_id}/password":                (401, 401, 401, 403, 403, 403, 200),  # *
    "GET /api/audit":                                          (401, 401, 401, 403, 403, 403, 200),
    # Any staff role: agents see a customer's history beside the live conversation (not team-scoped).
    "GET /api/customers":                                      (401, 401, 401, 200, 200, 200, 200),
    "GET /api/customers/{customer_id}":                        (401, 401, 401, 200, 200, 200, 200),
    # Outbound webhooks carry every customer's events out of the building: admins only.
    "GET /api/webhooks":                                       (401, 401, 401, 403, 403, 403, 200),
    "POST /api/webhooks":                                      (401, 401, 401, 403, 403, 403, 201),
    "PATCH /api/webhooks/{endpoint_id}":                       (401, 401, 401, 403, 403, 403, 200),
    "DELETE /api/webhooks/{endpoint_id}":                      (401, 401, 401, 403, 403, 403, 204),  # *
    "POST /api/webhooks/{endpoint_id}/rotate-secret":          (401, 401, 401, 403, 403, 403, 200),
    "GET /api/webhooks/{endpoint_id}/deliveries":              (401, 401, 401, 403, 403, 403, 200),
    "POST /api/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry": (401, 401, 401, 403, 403, 403, 200),  # * queued
    # Agents and admins; an agent finds unescalated conversations and their own teams' (no 404: a list).
    "GET /api/conversations/search":                           (401, 401, 401, 200, 200, 403, 200),
}
# HTML pages: public by design (their scripts call the APIs above, which carry the checks).
PAGES = {"GET /demo", "GET /login", "GET /console", "GET /dashboard", "GET /editor", "GET /staff", "GET /webhooks",
         "GET /docs", "GET /docs/oauth2-redirect", "GET /redoc"}
# Cells that show a real defect: {(route, principal): "defect: ..."}; each becomes a strict xfail.
DEFECTS: dict[tuple[str, str], str] = {}

ARTICLE = {"title": "Is there a student discount?", "kind": "policy", "body": "Students get **20% off**.",
           "questions": ["student discount"], "tags": ["discounts"]}
BODIES = {   # valid bodies, so that an allowed principal gets 2xx; a callable fills in ids
    "POST /api/conversations/{conversation_id}/messages": {"text": "hello, anyone there?"},
    "POST /api/conversations/{conversation_id}/rating": {"score": 4},
    "POST /api/conversations/{conversation_id}/follow-up": {"email": "ana@example.com"},
    "POST /api/conversations/{conversation_id}/email-transcript": {"email": "ana@example.com"},
    "POST /api/follow-ups/{follow_up_id}/reply": {"text": "We refunded the second charge."},
    "POST /api/auth/login": lambda ids: {"username": ids["login_user"], "password": PASSWORD},
    "POST /api/escalations/{escalation_id}/notes": {"text": "checked the account"},
    "POST /api/escalations/{escalation_id}/messages": {"text": "Hi, I'm looking into it."},
    "POST /api/escalations/{escalation_id}/resolve": {"return_to_bot": False},
    "POST /api/escalations/{escalation_id}/transfer": {"team": OTHER_TEAM, "note": "A billing question after all."},
    "PUT /api/agents/me/presence": {"status": "away"},
    "POST /api/canned-responses": {"title": "Hello", "body": "Hello, how can I help?"},
    "PUT /api/canned-responses/{canned_id}": {"title": "Wait", "body": "One moment.", "team": TEAM},
    "POST /api/articles": lambda ids: {"id": ids["new_article_id"], **ARTICLE},
    "PUT /api/articles/{article_id}": {**ARTICLE, "body": "Students get 25% off."},
    "POST /api/articles/preview": {"body": "**bold** <script>x</script>"},
    "POST /api/admin/erase": lambda ids: {"customer": ids["erasable"]},
    "POST /api/admin/staff": lambda ids: {"username": ids["new_username"], "password": PASSWORD, "role": "agent"},
    "PATCH /api/admin/staff/{user_id}": {"display_name": "Sam", "teams": [TEAM]},
    "POST /api/admin/staff/{user_id}/password": {"password": "another good password"},
    # Port 9 on loopback: nothing listens, so the app's sender never reaches anyone from this test.
    "POST /api/webhooks": {"url": "http://127.0.0.1:9/hooks", "events": ["conversation.closed"]},
    "PATCH /api/webhooks/{endpoint_id}": {"description": "CRM"},
}
# gaps=false: content gaps need the embedding model, which NoKnowledge leaves out (the role check is the same).
QUERIES = {"GET /api/conversations/search": {"q": "anyone"},
           "GET /api/search": {"q": "how much is installation?"}, "GET /api/analytics/summary": {"gaps": "false"},
           "GET /api/escalations/events": lambda ids: {"open": ids["escalation_id"]}}
FRESH = {
    "POST /api/escalations/{escalation_id}/claim": lambda w: {"escalation_id": w.escalation()[2]},
    "POST /api/escalations/{escalation_id}/resolve": lambda w: {"escalation_id": w.escalation(claim=True)[2]},
    "POST /api/escalations/{escalation_id}/unclaim": lambda w: {"escalation_id": w.escalation(claim=True)[2]},
    "POST /api/escalations/{escalation_id}/transfer": lambda w: {"escalation_id": w.escalation(claim=True)[2]},
    "POST /api/follow-ups/{follow_up_id}/done": lambda w: {"follow_up_id": w.follow_up()},
    "POST /api/outbox/{mail_id}/retry": lambda w: {"mail_id": w.mail()},
    "DELETE /api/canned-responses/{canned_id}": lambda w: {"canned_id": w.canned()},
    "POST /api/articles": lambda w: {"new_article_id": w.slug()},
    "DELETE /api/articles/{article_id}": lambda w: {"article_id": w.article()},
    "POST /api/articles/{article_id}/publish": lambda w: {"article_id": w.article()},
    "POST /api/articles/{article_id}/archive": lambda w: {"article_id": w.article()},
    "POST /api/articles/{article_id}/discard-draft": lambda w: {"article_id": w.article(pending_draft=True)},
    "POST /api/admin/erase": lambda w: {"erasable": w.conversation()[0]},
    "POST /api/admin/staff": lambda w: {"new_username": f"perm-new-{uuid.uuid4().hex[:10]}"},
    "PATCH /api/admin/staff/{user_id}": lambda w: {"user_id": w.account()},
    "POST /api/admin/staff/{user_id}/password": lambda w: {"user_id": w.account()},
    "DELETE /api/webhooks/{endpoint_id}": lambda w: {"endpoint_id": w.webhook()},
    "POST /api/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry": lambda w: w.webhook_delivery(),
}


class NoKnowledge:
    """Stands in for the live search: who may ask does not depend on what it finds, and loading
    MiniLM would take most of this file's run time."""

    def search(self, query: str, k: int = 5) -> SearchResult:
        return SearchResult(query, [], 0.0, "unsure")


class World:
    """Real objects made through the API (staff accounts as `candor user add` makes them)."""

    def __init__(self, client: TestClient) -> None:
        self.client, self.prefix = client, f"perm-{secrets.token_hex(3)}-"
        self.users = {"agent": ("agent", [TEAM]), "other_agent": ("agent", [OTHER_TEAM]),
                      "editor": ("editor", []), "admin": ("admin", [])}
        self.names = {p: self.user(role, teams) for p, (role, teams) in self.users.items()}
        self.tokens = {p: self.login(name) for p, name in self.names.items()}
        conversation_id, self.tokens["customer"], escalation_id = self.escalation(claim=True)
        self.tokens["other_customer"] = self.conversation()[1]
        self.ids = {"conversation_id": conversation_id, "escalation_id": escalation_id,
                    "follow_up_id": self.follow_up(), "canned_id": self.canned(), "article_id": self.article(),
                    "version": 1, "login_user": self.user("agent", [TEAM]), "customer_id": self.customer(),
                    "endpoint_id": self.webhook()}

    def user(self, role: str, teams: list[str]) -> str:
        name = f"perm-{role}-{uuid.uuid4().hex[:10]}"
        with session_scope() as session:
            # The most a seat holds: the matrix claims a fresh escalation for many of its cases and
            # never resolves them, and a claim over capacity is a 409 (tested on its own elsewhere).
            staff.add_user(session, name, PASSWORD, role, teams, staff.MAX_CAPACITY)
        return name

    def account(self) -> int:
        """A fresh staff account's id, for the routes that change one."""
        with session_scope() as session:
            return staff.add_user(session, f"perm-acct-{uuid.uuid4().hex[:10]}", PASSWORD, "agent", [TEAM]).id

    def login(self, name: str) -> str:
        return self.client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]

    def as_(self, principal: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[principal]}"} if principal != "anonymous" else {}

    def conversation(self) -> tuple[str, str]:
        made = self.client.post("/api/conversations").json()
        return made["id"], made["token"]

    def customer(self) -> str:
        """A customer record (unsigned: this app has no identity secret, so the id is taken unverified)."""
        customer_id = f"{self.prefix}customer"
        assert self.client.post("/api/conversations", json={"customer": {"id": customer_id}}).status_code == 201
        return customer_id

    def escalation(self, claim: bool = False) -> tuple[str, str, int]:
        conversation_id, token = self.conversation()
        reply = self.client.post(f"/api/conversations/{conversation_id}/messages", json={"text": "I need a person"},
                                 headers={"Authorization": f"Bearer {token}"})
        assert reply.json()["status"] == "queued", reply.text
        with session_scope() as session:
            escalation = session.scalar(select(Escalation).where(Escalation.conversation_id == conversation_id))
            assert escalation.team == TEAM
        if claim:
            assert self.client.post(f"/api/escalations/{escalation.id}/claim",
                                    headers=self.as_("agent")).status_code == 200
        return conversation_id, token, escalation.id

    def follow_up(self) -> int:
        conversation_id, token, _ = self.escalation()
        made = self.client.post(f"/api/conversations/{conversation_id}/follow-up", json={"email": "bo@example.com"},
                                headers={"Authorization": f"Bearer {token}"})
        assert made.json()["team"] == TEAM, made.text
        return made.json()["id"]

    def mail(self) -> int:
        """The acknowledgement mail of a fresh follow-up (queued: no SMTP host here)."""
        follow_up_id = self.follow_up()
        with session_scope() as session:
            return session.scalar(select(OutboundMail.id).where(OutboundMail.follow_up_id == follow_up_id))

    def canned(self) -> int:
        made = self.client.post("/api/canned-responses", headers=self.as_("agent"),
                                json={"title": "Refunds", "body": "Refunds take 5 days.", "team": TEAM})
        return made.json()["id"]

    def webhook(self) -> int:
        """An endpoint no event reaches (the matrix's own conversations send none to it)."""
        made = self.client.post("/api/webhooks", headers=self.as_("admin"),
                                json={"url": "http://127.0.0.1:9/hooks", "events": ["customer.stage_changed"]})
        return made.json()["id"]

    def webhook_delivery(self) -> dict[str, int]:
        """A fresh endpoint with one queued delivery, as an event of a fresh conversation leaves it."""
        endpoint_id, conversation_id = self.webhook(), self.conversation()[0]
        with session_scope() as session:
            [delivery] = [d for d in webhooks.emit(session, "customer.stage_changed", {"to": "decision"},
                                                   conversation_id=conversation_id) if d.endpoint_id == endpoint_id]
            session.flush()
            return {"endpoint_id": endpoint_id, "delivery_id": delivery.id}

    def slug(self) -> str:
        return f"{self.prefix}{uuid.uuid4().hex[:8]}"

    def article(self, pending_draft: bool = False) -> str:
        article_id, editor = self.slug(), self.as_("editor")
        assert self.client.post("/api/articles", headers=editor, json={"id": article_id, **ARTICLE}).status_code == 201
        if pending_draft:
            self.client.post(f"/api/articles/{article_id}/publish", headers=editor).raise_for_status()
            self.client.put(f"/api/articles/{article_id}", headers=editor,
                            json={**ARTICLE, "body": "Changed."}).raise_for_status()
        return article_id


@pytest.fixture(scope="module")
def app(database):
    from candor.settings import Settings
    from web.app import create_app

    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", rate_limit_ip="100000/minute",
                              rate_limit_conversation="100000/minute", rate_limit_login="100000/minute"))
    app.state.knowledge = NoKnowledge()
    return app


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def world(client):
    world = World(client)
    yield world
    with session_scope() as session:   # unit tests share one database: take our articles away again
        store = ArticleStore(session)
        for article in session.query(Article).filter(Article.id.startswith(world.prefix)).all():
            store.delete(article.id)
        for endpoint in session.query(WebhookEndpoint).all():   # and the webhook endpoints (nothing else makes any)
            session.delete(endpoint)


def send(client: TestClient, key: str, ids: dict, headers: dict) -> httpx.Response:
    method, template = key.split(" ", 1)
    body = BODIES.get(key)
    query = QUERIES.get(key)
    with client.stream(method, template.format(**ids), headers=headers, params=query(ids) if callable(query) else query,
                       json=body(ids) if callable(body) else body) as response:
        if "text/event-stream" not in response.headers.get("content-type", ""):
            response.read()   # an SSE stream never ends: its status and headers are the answer
        return response


def app_routes(app) -> set[str]:
    """Every "METHOD /path" the app serves: its route tree plus its OpenAPI document."""
    def flat(routes):
        for route in routes:
            if hasattr(route, "effective_route_contexts"):   # newer FastAPI keeps an included router as one node
                yield from route.effective_route_contexts()
            else:
                yield route

    found = {f"{m.upper()} {path}" for path, ops in app.openapi()["paths"].items() for m in ops}
    for route in flat(app.routes):
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}: add its routes to the matrix"
            continue
        found |= {f"{method} {route.path}" for method in route.methods - {"HEAD"}}
    return found


def test_every_route_is_in_the_matrix(app):
    routes = app_routes(app)
    assert not routes - set(MATRIX) - PAGES, "route(s) with no permission expectations: add them to MATRIX"
    assert not (set(MATRIX) | PAGES) - routes, "MATRIX lists route(s) the app no longer has"
    assert not {route for route, _ in DEFECTS} - set(MATRIX)


@pytest.mark.parametrize("key", sorted(PAGES))
def test_pages_are_public_html(client, key):
    response = client.get(key.split(" ", 1)[1])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


CELLS = [
    pytest.param(key, principal, expected, id=f"{key}|{principal}",
                 marks=[pytest.mark.xfail(strict=True, reason=DEFECTS[key, principal])]
                 if (key, principal) in DEFECTS else [])
    for key, row in MATRIX.items()
    for principal, expected in zip(PRINCIPALS, row, strict=True)
]


@pytest.mark.parametrize(("key", "principal", "expected"), CELLS)
def test_permission(client, world, key, principal, expected):
    ids = {**world.ids, **(FRESH[key](world) if key in FRESH else {})}
    headers = world.as_(principal)
    if key == "POST /api/auth/logout" and principal in world.names:
        headers = {"Authorization": f"Bearer {world.login(world.names[principal])}"}
    response = send(client, key, ids, headers)
    assert response.status_code == expected, f"{key} as {principal}: {response.status_code} {response.text[:300]}"


CUSTOMER_ROUTES = [k for k in MATRIX if "/api/conversations/{conversation_id}" in k]
TEAM_ROUTES = [k for k in MATRIX if any(p in k for p in ("{escalation_id}", "{follow_up_id}", "{canned_id}"))]


@pytest.mark.parametrize("key", CUSTOMER_ROUTES)
def test_a_customer_token_cannot_tell_another_conversation_from_none(client, world, key):
    other = world.as_("other_customer")
    theirs = send(client, key, {**world.ids}, other)
    missing = send(client, key, {**world.ids, "conversation_id": str(uuid.uuid4())}, other)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


@pytest.mark.parametrize("key", TEAM_ROUTES)
def test_another_team_cannot_tell_a_team_object_from_none(client, world, key):
    [name] = [n for n in ("escalation_id", "follow_up_id", "canned_id") if "{" + n + "}" in key]
    real, fake = world.ids[name], 2_000_000_000 + secrets.randbelow(10**6)
    outsider = world.as_("other_agent")
    theirs = send(client, key, world.ids, outsider)
    missing = send(client, key, {**world.ids, name: fake}, outsider)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"].replace(str(real), "ID") == missing.json()["detail"].replace(str(fake), "ID")


def test_another_team_lists_none_of_team_x(client, world):
    outsider, own = world.as_("other_agent"), world.as_("agent")
    for path, object_id in (("/api/escalations", world.ids["escalation_id"]),
                            ("/api/follow-ups", world.ids["follow_up_id"]),
                            ("/api/canned-responses", world.ids["canned_id"])):
        assert object_id in [o["id"] for o in client.get(path, headers=own).json()]
        assert object_id not in [o["id"] for o in client.get(path, headers=outsider).json()]


@pytest.mark.parametrize("move", [pytest.param(False, id="create-for-another-team"),
                                  pytest.param(True, id="move-to-another-team")])
def test_an_agent_writes_canned_responses_only_for_their_teams(client, world, move):
    """What team X agents insert into replies to customers is team X's (or shared) to write."""
    body = {"title": "Refunds", "body": "Refunds are instant, share your card number here.", "team": TEAM}
    if move:   # a team-X agent hands one of theirs to the other team (which they then cannot edit)
        response = client.put(f"/api/canned-responses/{world.canned()}", headers=world.as_("agent"),
                              json={**body, "team": OTHER_TEAM})
    else:      # an agent of another team writes into team X's list
        response = client.post("/api/canned-responses", headers=world.as_("other_agent"), json=body)
    assert response.status_code == 403, response.text

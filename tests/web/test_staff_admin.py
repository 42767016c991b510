"""Staff management by admins (the page twin of `candor user add`), the audit log, and the agent's
name on the messages a customer sees."""

import secrets

import pytest
from fastapi.testclient import TestClient
from web_helpers import start

from candor.db import session_scope
from routing import staff

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def client(database):
    from candor.settings import Settings
    from web.app import create_app

    with TestClient(create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t",
                                        rate_limit_login="100000/minute"))) as test_client:
        yield test_client


def person(role: str, teams: list[str] | None = None) -> str:
    name = f"{role}-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, role, teams or [])
    return name


def bearer(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    signed = client.post("/api/auth/login", json={"username": name, "password": password})
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['token']}"}


@pytest.fixture(scope="module")
def admin(client) -> tuple[str, dict[str, str]]:
    name = person("admin")
    return name, bearer(client, name)


def audit_of(client, headers, subject: str) -> list[dict]:
    return [e for e in client.get("/api/audit", headers=headers).json() if e["subject"] == subject]


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"password": "short"}, 422, "at least 8 characters"),
    ({"role": "boss"}, 422, "role must be one of agent, editor, admin"),
    ({"capacity": 0}, 422, "capacity must be between 1 and"),
    ({"username": "two words"}, 422, "username"),
    ({"teams": ["Billing Team"]}, 422, "teams"),
    ({"display_name": "   "}, 422, "must not be blank"),
])
def test_an_account_is_checked_as_the_cli_checks_it(client, admin, change, status, words):
    body = {"username": f"new-{secrets.token_hex(4)}", "password": PASSWORD, "role": "agent", **change}
    refused = client.post("/api/admin/staff", headers=admin[1], json=body)
    assert refused.status_code == status and words in refused.text, refused.text
    assert audit_of(client, admin[1], body["username"]) == []


def test_add_change_disable_and_reset_are_audited(client, admin):
    name = f"sam-{secrets.token_hex(4)}"
    added = client.post("/api/admin/staff", headers=admin[1], json={
        "username": name, "password": PASSWORD, "role": "agent", "teams": ["support"], "display_name": "Sam",
        "capacity": 4})
    assert added.status_code == 201, added.text
    account = added.json()
    assert account["shown_to_customers_as"] == "Sam (Support)" and account["capacity"] == 4
    assert client.post("/api/admin/staff", headers=admin[1],
                       json={"username": name, "password": PASSWORD, "role": "agent"}).status_code == 409
    sam = bearer(client, name)

    promoted = client.patch(f"/api/admin/staff/{account['id']}", headers=admin[1], json={"role": "editor"})
    assert promoted.json()["role"] == "editor"
    assert client.get("/api/auth/me", headers=sam).json()["role"] == "editor"

    disabled = client.patch(f"/api/admin/staff/{account['id']}", headers=admin[1], json={"disabled": True})
    assert disabled.json()["disabled"] is True
    assert client.get("/api/auth/me", headers=sam).status_code == 401            # signed out at once
    assert client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).status_code == 401

    client.patch(f"/api/admin/staff/{account['id']}", headers=admin[1], json={"disabled": False})
    again = bearer(client, name)
    reset = client.post(f"/api/admin/staff/{account['id']}/password", headers=admin[1],
                        json={"password": "a brand new password"})
    assert reset.status_code == 200
    assert client.get("/api/auth/me", headers=again).status_code == 401          # old sessions end
    bearer(client, name, "a brand new password")
    short = client.post(f"/api/admin/staff/{account['id']}/password", headers=admin[1], json={"password": "x"})
    assert short.status_code == 422 and "8 characters" in short.json()["detail"]

    log = audit_of(client, admin[1], name)
    assert [e["action"] for e in log] == ["user.password_reset", "user.enabled", "user.disabled", "user.changed",
                                          "user.added"]
    assert all(e["actor"] == admin[0] for e in log)
    assert log[3]["details"] == {"role": {"from": "agent", "to": "editor"}}
    assert log[3]["action_words"] == "changed a staff account"
    assert "brand new" not in str(log)                                            # no password is logged


def test_an_admin_cannot_lock_themselves_out(client, admin):
    [me] = [a for a in client.get("/api/admin/staff", headers=admin[1]).json() if a["username"] == admin[0]]
    for change in ({"disabled": True}, {"role": "agent"}):
        refused = client.patch(f"/api/admin/staff/{me['id']}", headers=admin[1], json=change)
        assert refused.status_code == 409 and "another admin" in refused.json()["detail"]
    assert client.get("/api/auth/me", headers=admin[1]).json()["role"] == "admin"
    assert client.patch("/api/admin/staff/999999999", headers=admin[1], json={"role": "agent"}).status_code == 404


def test_null_is_refused_for_what_always_has_a_value_and_clears_a_display_name(client, admin):
    account = client.post("/api/admin/staff", headers=admin[1], json={
        "username": "nora", "password": "long enough pw", "role": "agent", "display_name": "Nora"}).json()
    for field in ("role", "teams", "capacity", "disabled"):
        refused = client.patch(f"/api/admin/staff/{account['id']}", headers=admin[1], json={field: None})
        assert refused.status_code == 422 and "leave a field out" in str(refused.json()), field
    cleared = client.patch(f"/api/admin/staff/{account['id']}", headers=admin[1], json={"display_name": None})
    assert cleared.status_code == 200 and cleared.json()["role"] == "agent"


def test_erasure_and_publishing_are_audited(client, admin):
    conversation, customer = start(client)
    client.post(f"/api/conversations/{conversation}/messages", headers=customer, json={"text": "hello"})
    assert client.post("/api/admin/erase", headers=admin[1], json={"customer": conversation}).status_code == 200
    erased = [e for e in client.get("/api/audit", headers=admin[1]).json() if e["action"] == "customer.erased"]
    assert erased[0]["subject"] == "1 conversation(s)" and conversation not in str(erased[0])

    editor = bearer(client, person("editor"))
    slug = f"audit-{secrets.token_hex(4)}"
    client.post("/api/articles", headers=editor, json={"id": slug, "title": "Audited", "kind": "policy",
                                                       "body": "Text.", "questions": ["audited?"]}).raise_for_status()
    version = client.post(f"/api/articles/{slug}/publish", headers=editor).json()["version"]
    [published] = audit_of(client, admin[1], slug)
    assert published["action"] == "article.published" and published["details"] == {"version": version}
    assert client.get("/api/audit", headers=editor).status_code == 403
    client.delete(f"/api/articles/{slug}", headers=editor)


def test_the_customer_sees_the_agents_display_name(client, admin):
    name = f"sam-{secrets.token_hex(4)}"
    client.post("/api/admin/staff", headers=admin[1], json={
        "username": name, "password": PASSWORD, "role": "agent", "teams": ["general"], "display_name": "Sam"})
    sam = bearer(client, name)
    conversation, customer = start(client)
    client.post(f"/api/conversations/{conversation}/messages", headers=customer, json={"text": "a person please"})
    [escalation] = [e for e in client.get("/api/escalations?status=queued", headers=sam).json()
                    if e["conversation_id"] == conversation]
    client.post(f"/api/escalations/{escalation['id']}/claim", headers=sam).raise_for_status()
    client.post(f"/api/escalations/{escalation['id']}/messages", headers=sam, json={"text": "Hi!"}).raise_for_status()
    messages = client.get(f"/api/conversations/{conversation}", headers=customer).json()["messages"]
    assert [m["sender_name"] for m in messages if m["sender"] == "agent"] == ["Sam (General)"]
    assert {m["sender_name"] for m in messages if m["sender"] != "agent"} == {None}

"""Staff sessions for the pages (cookie + CSRF), canned responses and the first admin."""

import secrets

import pytest
from fastapi.testclient import TestClient

from candor.db import session_scope
from routing import staff

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app(database):
    from candor.settings import Settings
    from web.app import create_app

    return create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t"))


def agent(teams: list[str]) -> str:
    name = f"agent-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, "agent", teams)
    return name


def test_page_sign_in_uses_an_http_only_cookie_and_csrf(app):
    client = TestClient(app)
    signed = client.post("/api/auth/login", json={"username": agent([]), "password": PASSWORD, "cookie": True})
    assert signed.status_code == 200
    assert "token" not in signed.json()   # the session never reaches page scripts
    cookie = signed.headers["set-cookie"]
    assert "candor_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    csrf = signed.json()["csrf"]
    assert client.get("/api/auth/me").json()["csrf"] == csrf
    body = {"title": "Sorry", "body": "Sorry for the wait."}
    refused = client.post("/api/canned-responses", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    wrong = client.post("/api/canned-responses", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    assert client.post("/api/canned-responses", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    client.cookies.set("candor_session", cookie.split("candor_session=")[1].split(";")[0])
    assert client.get("/api/auth/me").status_code == 401   # the token was revoked, not just forgotten


def test_canned_responses_are_shared_or_per_team_and_validated(app):
    client = TestClient(app)
    billing = client.post("/api/auth/login", json={"username": agent(["billing"]), "password": PASSWORD}).json()
    technical = client.post("/api/auth/login", json={"username": agent(["technical"]), "password": PASSWORD}).json()
    as_billing = {"Authorization": f"Bearer {billing['token']}"}
    as_technical = {"Authorization": f"Bearer {technical['token']}"}
    made = client.post("/api/canned-responses", headers=as_billing,
                       json={"title": "Refund timing", "body": "Refunds take 5 working days.", "team": "billing"})
    assert made.status_code == 201
    canned_id = made.json()["id"]
    assert canned_id in [c["id"] for c in client.get("/api/canned-responses", headers=as_billing).json()]
    assert canned_id not in [c["id"] for c in client.get("/api/canned-responses", headers=as_technical).json()]
    assert client.put(f"/api/canned-responses/{canned_id}", headers=as_technical,
                      json={"title": "x", "body": "y"}).status_code == 404
    blank = client.put(f"/api/canned-responses/{canned_id}", headers=as_billing, json={"title": "  ", "body": "y"})
    assert blank.status_code == 422 and "title" in blank.json()["detail"]
    edited = client.put(f"/api/canned-responses/{canned_id}", headers=as_billing,
                        json={"title": "Refund timing", "body": "Refunds take 3 working days.", "team": "billing"})
    assert edited.json()["body"] == "Refunds take 3 working days."
    assert client.delete(f"/api/canned-responses/{canned_id}", headers=as_billing).status_code == 204
    assert client.delete(f"/api/canned-responses/{canned_id}", headers=as_billing).status_code == 404


def test_a_fresh_database_gets_one_admin_with_a_random_password(tmp_path):
    from candor.bootstrap import prepare_database
    from candor.settings import Settings

    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'fresh.db'}")
    said: list[str] = []
    prepare_database(settings, echo=said.append)
    [created] = [line for line in said if "first staff account" in line]
    password = created.split("with password ")[1].split(" ")[0]
    with session_scope(settings.database_url) as session:
        assert staff.login(session, "admin", password) is not None
    again: list[str] = []
    prepare_database(settings, echo=again.append)
    assert not any("first staff account" in line for line in again)


def test_a_canned_response_id_no_row_can_have_is_a_422_not_a_server_error(app):
    # 2**63 used to reach SQLite, which cannot compare it with a column: OverflowError, a 500.
    client = TestClient(app)
    token = client.post("/api/auth/login", json={"username": agent([]), "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for canned_id in (2**63, -(2**63) - 1, 0):
        assert client.put(f"/api/canned-responses/{canned_id}", headers=headers,
                          json={"title": "x", "body": "y"}).status_code == 422
        assert client.delete(f"/api/canned-responses/{canned_id}", headers=headers).status_code == 422

"""`GET /api/conversations/search` over HTTP: customers' words through the public API, found by staff
with masked snippets and a `next` cursor; every refusal in words. Rasa is down (port 9): each message
queues the conversation for the "general" team, which is enough here."""

import secrets

import pytest
from fastapi.testclient import TestClient

from candor.db import session_scope
from routing import staff

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"
URL = "/api/conversations/search"


@pytest.fixture(scope="module")
def client(database):
    from candor.settings import Settings
    from web.app import create_app

    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", rate_limit_login="100000/minute",
                              rate_limit_ip="100000/minute", rate_limit_conversation="100000/minute"))
    with TestClient(app) as test_client:
        yield test_client


def staff_headers(client: TestClient, role: str, teams: list[str] | None = None) -> dict[str, str]:
    name = f"search-{role}-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, role, teams or [])
    token = client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def chat(client: TestClient, *texts: str) -> str:
    made = client.post("/api/conversations").json()
    for said in texts:
        reply = client.post(f"/api/conversations/{made['id']}/messages", json={"text": said},
                            headers={"Authorization": f"Bearer {made['token']}"})
        assert reply.status_code == 200, reply.text
    return made["id"]


def test_staff_find_a_conversation_by_its_words_with_the_address_masked(client):
    tag = f"qz{secrets.token_hex(4)}"
    cid = chat(client, f"my {tag} order never came, write to jo.bloggs@example.com")
    found = client.get(URL, params={"q": f"{tag} orders"}, headers=staff_headers(client, "agent"))
    assert found.status_code == 200, found.text
    [item] = found.json()["items"]
    assert item["conversation_id"] == cid and item["status"] == "queued" and found.json()["next"] is None
    assert "[email]" in item["snippet"] and "bloggs" not in item["snippet"]
    assert {item["snippet"][s:e].lower() for s, e in item["marks"]} == {tag, "order"}
    assert item["started_at"].endswith("Z")
    # The address itself finds nothing, though the customer typed it.
    admin = staff_headers(client, "admin")
    for query in ("jo.bloggs@example.com", "bloggs", f"{tag} example"):
        items = client.get(URL, params={"q": query}, headers=admin).json()["items"]
        assert cid not in [i["conversation_id"] for i in items], query


def test_next_pages_through_every_match_once(client):
    tag = f"qz{secrets.token_hex(4)}"
    made = {chat(client, f"{tag} " * n + "about the sofa") for n in range(1, 6)}
    headers, seen, params = staff_headers(client, "admin"), [], {"q": tag, "status": "queued", "limit": 2}
    while True:
        page = client.get(URL, params=params, headers=headers).json()
        seen += [item["conversation_id"] for item in page["items"]]
        if page["next"] is None:
            break
        params = {**params, "next": page["next"]}
    assert len(seen) == 5 and set(seen) == made


@pytest.mark.parametrize(("params", "says"), [
    ({}, "q: Field required"),
    ({"q": " ?! "}, "at least one word"),
    ({"q": "refund", "status": "open"}, "There is no status 'open'"),
    ({"q": "refund", "stage": "purchase"}, "There is no stage"),
    ({"q": "refund", "outcome": "happy"}, "There is no outcome"),
    ({"q": "refund", "since": "last week"}, "is not a date"),
    ({"q": "refund", "since": "2026-11-02", "until": "2026-11-01"}, "later than"),
    ({"q": "refund", "until": "9999-12-31"}, "is not a date"),
    ({"q": "refund", "next": "garbage"}, "not one this search gave out"),
    ({"q": "refund", "next": "W05hTiwgIngiLCAieCJd"}, "not one this search gave out"),   # [NaN, "x", "x"]
    ({"q": "refund", "limit": 0}, "limit"),
    ({"q": "one two three four five six seven eight nine ten eleven"}, "at most 10 words"),
])
def test_bad_queries_filters_and_cursors_are_422_with_words(client, params, says):
    answer = client.get(URL, params=params, headers=staff_headers(client, "admin"))
    assert answer.status_code == 422 and says in answer.json()["detail"], answer.text


def test_a_cursor_is_bound_to_its_search(client):
    tag = f"qz{secrets.token_hex(4)}"
    for _ in range(2):
        chat(client, tag)
    headers = staff_headers(client, "admin")
    first = client.get(URL, params={"q": tag, "limit": 1}, headers=headers).json()
    assert first["next"]
    other = client.get(URL, params={"q": tag, "limit": 1, "status": "bot", "next": first["next"]}, headers=headers)
    assert other.status_code == 422 and "different search" in other.json()["detail"]


def test_a_date_alone_covers_the_whole_day(client):
    from candor.db import utcnow

    tag = f"qz{secrets.token_hex(4)}"
    cid = chat(client, tag)
    today = utcnow().date().isoformat()
    headers = staff_headers(client, "admin")
    for params, expected in (({"since": today, "until": today}, [cid]), ({"until": "2000-01-01"}, [])):
        items = client.get(URL, params={"q": tag, **params}, headers=headers).json()["items"]
        assert [i["conversation_id"] for i in items] == expected, params


def test_agents_search_their_teams_and_unescalated_conversations(client):
    tag = f"qz{secrets.token_hex(4)}"
    cid = chat(client, tag)   # queued for "general" (the bot is down)
    general = staff_headers(client, "agent", ["general"])
    billing = staff_headers(client, "agent", ["billing"])
    assert [i["conversation_id"] for i in client.get(URL, params={"q": tag}, headers=general).json()["items"]] == [cid]
    assert client.get(URL, params={"q": tag}, headers=billing).json()["items"] == []
    refused = client.get(URL, params={"q": tag, "team": "general"}, headers=billing)
    assert refused.status_code == 403 and "your teams only (billing)" in refused.json()["detail"]


def test_route_is_not_taken_for_a_conversation_id(client):
    """Registered before /api/conversations/{id}: without staff credentials it asks for them."""
    assert client.get(URL, params={"q": "x"}).status_code == 401
    editor = client.get(URL, params={"q": "x"}, headers=staff_headers(client, "editor"))
    assert editor.status_code == 403 and "agent or admin" in editor.json()["detail"]

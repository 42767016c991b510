"""Rate limits answer 429 with Retry-After (in Redis, shared by every web worker); input limits answer 4xx."""

import uuid

import pytest
from web_helpers import offline_client, start

pytestmark = pytest.mark.unit


def test_messages_per_conversation_are_limited_with_retry_after(database):
    client = offline_client(rate_limit_conversation="3/minute")
    conversation, headers = start(client)
    sent = [client.post(f"/api/conversations/{conversation}/messages", json={"text": f"hi {n}"}, headers=headers)
            for n in range(4)]
    assert [r.status_code for r in sent] == [200, 200, 200, 429]
    refused = sent[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "3 per 60 s allowed in one conversation" in refused.json()["detail"]
    transcript = client.get(f"/api/conversations/{conversation}", headers=headers).json()["messages"]
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["hi 0", "hi 1", "hi 2"]

    other, other_headers = start(client)  # another conversation has its own allowance
    assert client.post(f"/api/conversations/{other}/messages", json={"text": "hello"},
                       headers=other_headers).status_code == 200


def test_a_stranger_cannot_use_up_a_conversations_allowance(database):
    client = offline_client(rate_limit_conversation="2/minute")
    conversation, headers = start(client)
    for _ in range(5):
        wrong = client.post(f"/api/conversations/{conversation}/messages", json={"text": "x"},
                            headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 404
    assert client.post(f"/api/conversations/{conversation}/messages", json={"text": "mine"},
                       headers=headers).status_code == 200


def test_new_conversations_per_address_are_limited(database):
    client = offline_client(rate_limit_ip="2/minute")
    codes = [client.post("/api/conversations").status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_sign_in_attempts_are_limited(database):
    client = offline_client(rate_limit_login="3/minute")
    codes = [client.post("/api/auth/login", json={"username": "nobody", "password": "wrong-password"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_limits_in_redis_are_shared_between_workers(database):
    redis_db = f"redis://127.0.0.1:6379/{uuid.uuid4().int % 15 + 1}"
    one = offline_client(redis_url=redis_db, rate_limit_conversation="3/minute")
    two = offline_client(redis_url=redis_db, rate_limit_conversation="3/minute")
    conversation, headers = start(one)
    codes = [client.post(f"/api/conversations/{conversation}/messages", json={"text": f"m{n}"},
                         headers=headers).status_code for n, client in enumerate([one, two, one, two])]
    assert codes == [200, 200, 200, 429]


def test_a_lost_redis_lets_chat_through(database, caplog):
    client = offline_client(redis_url="redis://127.0.0.1:9/0", rate_limit_conversation="1/minute")
    conversation, headers = start(client)
    for text in ("one", "two"):
        assert client.post(f"/api/conversations/{conversation}/messages", json={"text": text},
                           headers=headers).status_code == 200
    assert "Rate limiter unavailable" in caplog.text


def test_oversized_and_malformed_bodies_are_refused_with_4xx(database):
    client = offline_client()
    conversation, headers = start(client)
    url = f"/api/conversations/{conversation}/messages"
    huge = client.post(url, content=b'{"text": "' + b"a" * (1024 * 1024) + b'"}',
                       headers={**headers, "Content-Type": "application/json"})
    assert huge.status_code == 413 and "too large" in huge.json()["detail"]
    too_long = client.post(url, json={"text": "a" * 4001}, headers=headers)
    assert too_long.status_code == 422 and "text" in too_long.json()["detail"]
    control = client.post(url, json={"text": "hi\x07there"}, headers=headers)
    assert control.status_code == 422 and "control characters" in control.json()["detail"]
    bad_utf8 = client.post(url, content=b'{"text": "caf\xe9"}', headers={**headers, "Content-Type": "application/json"})
    assert bad_utf8.status_code == 400 and "parsing the body" in bad_utf8.json()["detail"]
    not_json = client.post(url, content=b"text=hello", headers={**headers, "Content-Type": "application/json"})
    assert not_json.status_code == 422
    transcript = client.get(f"/api/conversations/{conversation}", headers=headers).json()["messages"]
    assert transcript == []

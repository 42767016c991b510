"""A message re-sent with the same Idempotency-Key is processed once and answered the same way."""

import threading
import uuid

import pytest
from web_helpers import offline_client, start

pytestmark = pytest.mark.unit


def customer_texts(client, url, headers):
    return [m["text"] for m in client.get(url, headers=headers).json()["messages"] if m["sender"] == "customer"]


def test_a_repeat_is_answered_from_the_first_and_stored_once(database):
    client = offline_client()
    conversation, headers = start(client)
    url = f"/api/conversations/{conversation}"
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    first = client.post(f"{url}/messages", json={"text": "where is my router?"}, headers=keyed)
    again = client.post(f"{url}/messages", json={"text": "where is my router?"}, headers=keyed)
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and first.json()["messages"]
    assert customer_texts(client, url, headers) == ["where is my router?"]

    other = client.post(f"{url}/messages", json={"text": "where is my router?"},
                        headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert "Idempotent-Replayed" not in other.headers  # a new key is a new message
    assert customer_texts(client, url, headers) == ["where is my router?"] * 2


def test_a_key_reused_for_another_message_is_refused(database):
    client = offline_client()
    conversation, headers = start(client)
    url = f"/api/conversations/{conversation}"
    keyed = {**headers, "Idempotency-Key": "order-42"}
    assert client.post(f"{url}/messages", json={"text": "hello"}, headers=keyed).status_code == 200
    reused = client.post(f"{url}/messages", json={"text": "something else"}, headers=keyed)
    assert reused.status_code == 422 and "different message" in reused.json()["detail"]
    assert customer_texts(client, url, headers) == ["hello"]


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "naïve".encode()])
def test_malformed_keys_are_refused(database, key):
    client = offline_client()
    conversation, headers = start(client)
    url = f"/api/conversations/{conversation}"
    response = client.post(f"{url}/messages", json={"text": "hello"}, headers={**headers, "Idempotency-Key": key})
    assert response.status_code == 422 and "idempotency-key" in response.json()["detail"].lower()
    assert customer_texts(client, url, headers) == []


def test_concurrent_repeats_on_two_workers_store_the_message_once(database):
    # Two apps stand for two web workers: their in-process locks know nothing of each other,
    # so only the database's key constraint can keep the repeat out.
    workers = [offline_client(), offline_client()]
    conversation, headers = start(workers[0])
    url = f"/api/conversations/{conversation}"
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    results, barrier = [], threading.Barrier(4)

    def send(client):
        barrier.wait()
        results.append(client.post(f"{url}/messages", json={"text": "double click"}, headers=keyed))

    threads = [threading.Thread(target=send, args=(c,)) for c in workers * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200] * 4
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in results) == 3
    assert customer_texts(workers[0], url, headers) == ["double click"]

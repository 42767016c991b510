"""A turn lock that never comes free refuses the work (503, nothing saved) instead of running it unguarded."""

import threading
import uuid

import pytest
from web_helpers import offline_client, start

from web.locks import Locks, LockTimeout

pytestmark = pytest.mark.unit


@pytest.fixture(params=["local", "redis"])
def locks(request):
    url = "" if request.param == "local" else f"redis://127.0.0.1:6379/{uuid.uuid4().int % 15 + 1}"
    return Locks(url, hold_s=0.3)


def held_elsewhere(locks: Locks, name: str, for_s: float) -> threading.Event:
    """Takes the lock in another thread (another request, or another worker) and keeps it."""
    taken = threading.Event()

    def keep() -> None:
        with locks.hold(name):
            taken.set()
            threading.Event().wait(for_s)

    threading.Thread(target=keep, daemon=True).start()
    assert taken.wait(5)
    return taken


def test_waiting_past_the_hold_time_raises_and_says_so(locks, caplog):
    name = f"turn:{uuid.uuid4()}"
    held_elsewhere(locks, name, for_s=1.0)
    ran = []
    with pytest.raises(LockTimeout), locks.hold(name):
        ran.append(True)
    assert ran == [] and f"Lock {name} still taken" in caplog.text


def test_a_lock_freed_in_time_is_taken(locks):
    name = f"turn:{uuid.uuid4()}"
    held_elsewhere(locks, name, for_s=0.1)
    with locks.hold(name):
        pass


def test_a_message_that_cannot_get_its_turn_answers_503_and_is_not_stored(database):
    client = offline_client()
    client.app.state.chat.locks = Locks(hold_s=0.3)
    conversation, headers = start(client)
    held_elsewhere(client.app.state.chat.locks, f"turn:{conversation}", for_s=1.0)
    refused = client.post(f"/api/conversations/{conversation}/messages", json={"text": "hello?"}, headers=headers)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "still being processed; nothing was saved" in refused.json()["detail"]
    assert client.get(f"/api/conversations/{conversation}", headers=headers).json()["messages"] == []


def test_work_that_outlives_its_redis_lock_finishes_with_a_warning(caplog):
    locks = Locks(f"redis://127.0.0.1:6379/{uuid.uuid4().int % 15 + 1}", hold_s=0.2)
    with locks.hold("turn:slow"):
        threading.Event().wait(0.5)  # the lock expires meanwhile; the turn's work is still done
    assert "Lock turn:slow expired (after 0.2 s) before the work it guarded finished" in caplog.text

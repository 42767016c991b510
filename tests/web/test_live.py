"""Live views wake on committed changes: in one worker directly, between workers through Redis."""

import asyncio
import json
import logging
import socket
import threading
import time
import uuid
from contextlib import contextmanager

import httpx
import pytest
from web_helpers import run_async

pytestmark = pytest.mark.unit


def redis_db() -> str:
    return f"redis://127.0.0.1:6379/{uuid.uuid4().int % 15 + 1}"


def test_a_commit_announces_what_it_changed_and_a_rollback_nothing(database):
    from candor.db import session_scope
    from routing import queue
    from touchpoints import conversations, live

    heard: list[frozenset[str]] = []
    stop = live.listen(heard.append)
    try:
        with session_scope() as session:
            conversation, _ = conversations.create(session)
        with session_scope() as session:
            conversations.append(session, conversation.id, "customer", "hello")
        assert heard == [{conversation.id}, {conversation.id}]

        with pytest.raises(RuntimeError), session_scope() as session:
            conversations.append(session, conversation.id, "customer", "never stored")
            raise RuntimeError("the request failed after the append")
        assert len(heard) == 2

        with session_scope() as session:
            escalation = queue.enqueue(session, conversation.id, reasons=["explicit_request"], team="support",
                                       priority=2, sla_minutes=5)
        with session_scope() as session:
            queue.claim(session, escalation.id, "ana")  # a Core UPDATE, announced all the same
        assert heard[2:] == [{conversation.id, live.QUEUE}] * 2
    finally:
        stop()


def test_the_hub_wakes_only_the_watches_of_a_changed_topic():
    from web.live import LiveHub

    async def scenario() -> None:
        hub = LiveHub(fallback_s=30)
        await hub.start()
        try:
            with hub.watch("c1") as mine, hub.watch("c2") as other:
                await asyncio.to_thread(hub.publish, frozenset({"c1"}))  # commits happen on worker threads
                assert await mine.wait(5)
                assert not await other.wait(0.2)
                assert not await mine.wait(0.2)  # one wake-up per change, not a stuck flag
        finally:
            await hub.stop()

    run_async(scenario())


def test_redis_carries_a_change_from_one_worker_to_the_others():
    from web.live import LiveHub

    async def scenario() -> None:
        url = redis_db()
        one, two = LiveHub(url, fallback_s=30), LiveHub(url, fallback_s=30)
        for hub in (one, two):
            await hub.start()
        try:
            await asyncio.wait_for(asyncio.gather(one.subscribed.wait(), two.subscribed.wait()), 10)
            with two.watch("c1") as watch:
                # publish() on one only talks to Redis: two can hear it from nowhere else.
                await asyncio.to_thread(one.publish, frozenset({"c1"}))
                assert await watch.wait(5)
        finally:
            for hub in (one, two):
                await hub.stop()

    run_async(scenario())


def test_without_redis_the_worker_still_wakes_its_own_views_and_says_why(caplog):
    from web.live import LiveHub

    async def scenario() -> None:
        hub = LiveHub("redis://127.0.0.1:9/0", fallback_s=30)
        await hub.start()
        try:
            with hub.watch("c1") as watch:
                await asyncio.to_thread(hub.publish, frozenset({"c1"}))
                assert await watch.wait(5)
        finally:
            await hub.stop()

    with caplog.at_level(logging.WARNING, logger="web.live"):
        run_async(scenario())
    assert "Redis unavailable for live events" in caplog.text


@contextmanager
def serving(app):
    """The app under a real uvicorn on loopback, in a thread (SSE needs a streaming server)."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def events(response: httpx.Response):
    """(event, data) pairs as the server sends them."""
    kind, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())
        elif not line and data:
            yield kind, json.loads("\n".join(data))
            kind, data = "message", []


def test_the_customer_stream_shows_a_new_message_at_once_not_at_the_next_look(database):
    from candor.db import session_scope
    from candor.settings import Settings
    from touchpoints import conversations
    from web.app import create_app

    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", live_fallback_s=60))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        created = client.post("/api/conversations").json()
        headers = {"Authorization": f"Bearer {created['token']}"}
        with client.stream("GET", f"/api/conversations/{created['id']}/events", headers=headers) as stream:
            seen = events(stream)
            assert next(seen) == ("status", {"status": "bot", "queue": None})
            time.sleep(0.5)  # the stream is now waiting (for up to 60 s)
            started = time.monotonic()
            with session_scope() as session:  # as an agent's reply is stored
                conversations.append(session, created["id"], "agent", "Hi, I'm Ana.")
            kind, message = next(seen)
            waited = time.monotonic() - started
    assert kind == "message" and message["text"] == "Hi, I'm Ana." and message["sender"] == "agent"
    assert waited < 5, f"the message took {waited:.1f} s: the stream polled instead of being woken"

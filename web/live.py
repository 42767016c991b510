"""Wakes live views (customer event streams, agent consoles) when what they show changes.

Each committed change names its topics (a conversation id, or ``queue``; see touchpoints.live).
With one web worker the hub wakes that worker's streams directly. With several workers
(production) it publishes the topics on a Redis pub/sub channel that every worker listens
to, so a reply an agent sends through one worker reaches the customer streaming from another.
Pub/sub delivers at most once and Redis may be away: streams also look again every
``fallback_s``, so a lost wake-up costs seconds, never a message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
import redis.asyncio as aioredis

from touchpoints import live

logger = logging.getLogger(__name__)


def channel(redis_url: str) -> str:
    """Pub/sub channels ignore Redis's database numbers; instances on one Redis keep to their own."""
    return f"candor:live:{redis.connection.parse_url(redis_url).get('db', 0)}"


class Watch:
    """One stream's interest: ``changed`` is set when any of its topics is announced."""

    def __init__(self, topics: set[str]) -> None:
        self.topics = topics
        self.changed = asyncio.Event()

    async def wait(self, timeout_s: float) -> bool:
        """Whether something changed (else the timeout passed); clears the flag for the next wait."""
        try:
            await asyncio.wait_for(self.changed.wait(), timeout_s)
        except TimeoutError:
            return False
        finally:
            self.changed.clear()
        return True


class LiveHub:
    def __init__(self, redis_url: str = "", fallback_s: float = 5.0) -> None:
        self.redis_url = redis_url
        self.fallback_s = fallback_s
        self._watches: set[Watch] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publisher = (redis.Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
                           if redis_url else None)
        self._channel = channel(redis_url) if redis_url else ""
        self._redis_down_until = 0.0  # while Redis is away, commits skip it instead of waiting on it
        self._unlisten: Callable[[], None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()  # the Redis subscription is live (tests wait for it)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._unlisten = live.listen(self.publish)
        if self.redis_url:
            self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._unlisten:
            self._unlisten()
        if self._listener:
            self._listener.cancel()

    @contextmanager
    def watch(self, *topics: str) -> Iterator[Watch]:
        watch = Watch(set(topics))
        self._watches.add(watch)
        try:
            yield watch
        finally:
            self._watches.discard(watch)

    def publish(self, topics: frozenset[str]) -> None:
        """Called after a commit, from whichever thread committed."""
        if self._publisher is not None and time.monotonic() >= self._redis_down_until:
            try:
                self._publisher.publish(self._channel, json.dumps(sorted(topics)))
                return  # this worker hears it back from the channel like every other worker
            except redis.RedisError as error:
                self._redis_down_until = time.monotonic() + 5
                logger.warning("Redis unavailable for live events (%s); other workers' views catch up "
                               "within %.0f s", error, self.fallback_s)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake, topics)

    def _wake(self, topics: frozenset[str] | set[str]) -> None:
        for watch in list(self._watches):
            if watch.topics & topics:
                watch.changed.set()

    async def _listen(self) -> None:
        """Hear every worker's announcements; reconnect after Redis goes away."""
        while True:
            client = aioredis.Redis.from_url(self.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self.subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake(set(json.loads(message["data"])))
            except (redis.RedisError, OSError) as error:
                logger.warning("Live events: Redis subscription lost (%s); retrying in 1 s", error)
            finally:
                self.subscribed.clear()
                await client.aclose()
            await asyncio.sleep(1)

"""Locks that hold across web workers: redis-py's Lock in production, threading locks otherwise.

One customer turn at a time per conversation keeps its transcript in the order it was sent;
one background round at a time keeps two workers from notifying the same SLA breach twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from weakref import WeakValueDictionary

import redis

logger = logging.getLogger(__name__)


class LockTimeout(RuntimeError):
    """The lock stayed taken for its whole hold time: the work it guards did not run."""


class Locks:
    def __init__(self, redis_url: str = "", hold_s: float = 60) -> None:
        self._redis = redis.Redis.from_url(redis_url) if redis_url else None
        self._hold_s = hold_s  # a crashed worker's lock expires after this
        self._local: WeakValueDictionary[str, threading.Lock] = WeakValueDictionary()
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Wait for the lock (up to its hold time) and keep it for the block; LockTimeout if
        it never came free (the block must not run unguarded)."""
        if self._redis is not None:
            lock = self._redis.lock(f"candor:lock:{name}", timeout=self._hold_s, blocking_timeout=self._hold_s)
            try:
                acquired = lock.acquire()
            except redis.RedisError:  # Redis away: this worker's own lock still orders its turns
                logger.exception("Redis lock %s unavailable; using this worker's lock", name)
            else:
                if not acquired:
                    raise self._timed_out(name)
                try:
                    yield
                finally:
                    self._release(lock, name)
                return
        with self._guard:
            lock = self._local.get(name)
            if lock is None:
                lock = self._local[name] = threading.Lock()
        if not lock.acquire(timeout=self._hold_s):
            raise self._timed_out(name)
        try:
            yield
        finally:
            lock.release()

    def _release(self, lock: redis.lock.Lock, name: str) -> None:
        try:
            lock.release()
        except redis.exceptions.LockError:  # the work is done; only the guarantee lapsed, so say so
            logger.warning("Lock %s expired (after %g s) before the work it guarded finished", name, self._hold_s)

    def _timed_out(self, name: str) -> LockTimeout:
        logger.error("Lock %s still taken after %.0f s; refusing the work it guards", name, self._hold_s)
        return LockTimeout(f"{name} is still busy after {self._hold_s:.0f} s")

    @contextmanager
    def try_hold(self, name: str) -> Iterator[bool]:
        """For periodic jobs: yields whether this worker got the lock (it never waits)."""
        if self._redis is None:
            yield True  # one process: the background loop is the only runner
            return
        lock = self._redis.lock(f"candor:lock:{name}", timeout=self._hold_s)
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                self._release(lock, name)

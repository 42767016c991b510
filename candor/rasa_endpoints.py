"""Rasa's endpoints file, written for each start from the settings (it holds secrets: mode 0600).

Embedded: SQLite tracker store (Rasa's SQL store with the conversations it served last kept in
memory), in-memory lock store. Production: the tracker store in
PostgreSQL (its own database beside the app's) and Rasa's RedisLockStore, so several Rasa
replicas can serve one conversation without two of them processing it at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sqlalchemy.engine import make_url

from candor.settings import Settings

TRACKER_STORE = "cached_tracker_store.CachedSQLTrackerStore"


def rasa_endpoints(settings: Settings) -> dict[str, Any]:
    # Rasa sends the token as a query parameter; the action server refuses calls without it.
    endpoints: dict[str, Any] = {"action_endpoint": {"url": f"{settings.actions_url}/webhook",
                                                     "token": settings.rasa_token}}
    tracker = make_url(settings.rasa_tracker_url)
    # Rasa's SQL store, remembering the conversations it served last (bot/cached_tracker_store.py).
    if tracker.drivername.startswith("sqlite"):
        endpoints["tracker_store"] = {"type": TRACKER_STORE, "dialect": "sqlite", "db": tracker.database}
    else:
        endpoints["tracker_store"] = {
            "type": TRACKER_STORE, "dialect": "postgresql", "url": tracker.host or "127.0.0.1",
            "port": tracker.port or 5432,
            "db": tracker.database, "username": tracker.username, "password": tracker.password,
            "login_db": "postgres",  # Rasa creates its database from there when it is missing
        }
    if settings.redis_url:
        redis = urlsplit(settings.redis_url)
        endpoints["lock_store"] = {
            "type": "redis", "url": redis.hostname or "127.0.0.1", "port": redis.port or 6379,
            "db": int(redis.path.strip("/") or 0), "password": redis.password, "key_prefix": "candor",
        }
    return endpoints


def write_endpoints(settings: Settings) -> Path:
    path = settings.var_dir / "rasa-endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        yaml.safe_dump(rasa_endpoints(settings), file, sort_keys=False)
    return path

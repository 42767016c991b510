"""Before `candor up` starts anything: are the services production mode relies on reachable?"""

from __future__ import annotations

import redis
from sqlalchemy import create_engine, text

from candor.settings import Settings


def unreachable(settings: Settings) -> list[str]:
    """One clear sentence per service that does not answer (empty when all do)."""
    problems = []
    engine = create_engine(settings.database_url, connect_args={"connect_timeout": 5}
                           if settings.database_url.startswith("postgresql") else {})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect is reported, with the driver's reason
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        problems.append(f"The database at {engine.url.render_as_string()} does not answer: {reason}")
    finally:
        engine.dispose()
    if settings.redis_url and (redis_problem := redis_error(settings.redis_url, timeout_s=5)):
        problems.append(f"Redis at {settings.redis_url} does not answer: {redis_problem}")
    return problems


def redis_error(url: str, timeout_s: float) -> redis.RedisError | None:
    """Why Redis at ``url`` does not answer a PING, or None when it does (also used by /healthz)."""
    try:
        with redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s) as client:
            client.ping()
    except redis.RedisError as error:
        return error
    return None

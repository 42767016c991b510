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
    if settings.redis_url:
        try:
            with redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5) as client:
                client.ping()
        except redis.RedisError as error:
            problems.append(f"Redis at {settings.redis_url} does not answer: {error}")
    return problems

"""Rate limits for the public endpoints: 429 with ``Retry-After``, counted by the `limits` library.

Counts live in memory on one machine and in Redis when ``CANDOR_REDIS_URL`` is set, so every
web worker shares them. If Redis is away the request goes through and the failure is logged:
a broken limiter must not take the chat down with it (``/healthz`` reports Redis itself).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from limits import parse, storage, strategies

from candor.settings import Settings

logger = logging.getLogger(__name__)


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        backend = storage.storage_from_string(settings.redis_url or "memory://")
        self._limiter = strategies.MovingWindowRateLimiter(backend)
        self.rules = {
            "ip": parse(settings.rate_limit_ip),
            "conversation": parse(settings.rate_limit_conversation),
            "login": parse(settings.rate_limit_login),
        }

    def hit(self, rule: str, key: str) -> None:
        """Count one request; raise 429 naming the limit when the window is full."""
        item = self.rules[rule]
        try:
            if self._limiter.hit(item, rule, key):
                return
            reset_at = self._limiter.get_window_stats(item, rule, key).reset_time
        except Exception:  # the limiter's store is away: let the request through, loudly
            logger.exception("Rate limiter unavailable; %s limit not applied to %s", rule, key)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise HTTPException(
            429,
            f"Too many requests ({item.amount} per {item.get_expiry()} s allowed {_WHO[rule]}). "
            f"Retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


_WHO = {"ip": "from one address", "conversation": "in one conversation", "login": "for sign-in from one address"}


async def _limits(request: Request) -> RateLimits:
    # async: it only reads app state (a sync dependency costs a hop to a worker thread).
    limits: RateLimits = request.app.state.rate_limits  # Starlette's app state is untyped
    return limits


def _client_ip(request: Request) -> str:
    # Behind a reverse proxy, uvicorn's --proxy-headers puts the real client here.
    return request.client.host if request.client else "unknown"


def per_ip(request: Request, limits: Annotated[RateLimits, Depends(_limits)]) -> None:
    limits.hit("ip", _client_ip(request))


def per_login(request: Request, limits: Annotated[RateLimits, Depends(_limits)]) -> None:
    limits.hit("login", _client_ip(request))

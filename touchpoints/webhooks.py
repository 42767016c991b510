"""Outbound webhooks: events queued for the endpoints that want them, in the event's own transaction.

``emit`` adds one delivery row per enabled endpoint subscribed to the event, so an event that
happened is never missing from the queue and one rolled back is never in it; nothing here speaks
HTTP (conversations.webhook_sender does, later, from a background worker), so a chat turn never
waits for a receiver. Payloads carry ids, stages, outcomes and scores, never what a customer typed.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from candor.db import utc_text, utcnow
from candor.retry_queue import RetryQueue
from touchpoints.webhook_models import WebhookDelivery, WebhookEndpoint

EventName = Literal["conversation.closed", "escalation.created", "touchpoint.scored", "customer.stage_changed"]
EVENTS: tuple[str, ...] = get_args(EventName)

REQUEST_TIMEOUT_S = 10.0
LEASE = timedelta(minutes=1)   # longer than one request may take (REQUEST_TIMEOUT_S, several times)
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 30   # 10 s doubling to hourly: about a day of tries, then a person looks
OVERDUE = timedelta(minutes=15)
ROTATION_GRACE = timedelta(hours=24)   # the old secret keeps signing this long after a rotation

QUEUE = RetryQueue(WebhookDelivery, LEASE, FIRST_RETRY, LONGEST_RETRY, MAX_ATTEMPTS)
_SUBSCRIBERS = "candor.webhooks.subscribers"


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def subscribers(session: Session, event: str) -> list[int]:
    """Enabled endpoints that want ``event``; read once per transaction (the scorer emits in batches)."""
    cache: dict[str, list[int]] | None = session.info.get(_SUBSCRIBERS)
    if cache is None:
        cache = {name: [] for name in EVENTS}
        for endpoint_id, events in session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.enabled)):
            for name in events or ():
                cache.setdefault(name, []).append(endpoint_id)
        session.info[_SUBSCRIBERS] = cache
    return cache.get(event, [])


def forget_subscribers(session: Session) -> None:
    """After an endpoint changes in this session (the admin API), read them again."""
    session.info.pop(_SUBSCRIBERS, None)


def emit(session: Session, event: EventName, data: dict[str, Any], *, conversation_id: str | None = None,
         customer_id: str | None = None, at: datetime | None = None) -> list[WebhookDelivery]:
    """Queue ``event`` for every endpoint that wants it, in the caller's transaction."""
    endpoints = subscribers(session, event)
    if not endpoints:
        return []
    at = at or utcnow()
    deliveries = [WebhookDelivery(delivery_id=str(uuid.uuid4()), endpoint_id=endpoint_id, event=event,
                                  data={**data, "occurred_at": utc_text(at)}, conversation_id=conversation_id,
                                  customer_id=customer_id, status="queued", attempts=0, next_attempt_at=at,
                                  created_at=at)
                  for endpoint_id in endpoints]
    session.add_all(deliveries)
    return deliveries


def body(delivery: WebhookDelivery) -> dict[str, Any]:
    """What the receiver gets, the same on every attempt (the delivery id is in it, so it is signed)."""
    return {"id": delivery.delivery_id, "event": delivery.event, "created_at": utc_text(delivery.created_at),
            "data": delivery.data}


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period after a rotation lasts."""
    keys = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        keys.append(endpoint.previous_secret)
    return keys


def create(session: Session, url: str, events: list[str], description: str, by: str) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(url=url, events=sorted(set(events)), description=description, secret=new_secret(),
                               enabled=True, created_at=utcnow(), created_by=by)
    session.add(endpoint)
    session.flush()
    forget_subscribers(session)
    return endpoint


def rotate(session: Session, endpoint: WebhookEndpoint, now: datetime) -> str:
    """A new secret; the old one still signs (second signature) for ROTATION_GRACE."""
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + ROTATION_GRACE
    endpoint.secret = new_secret()
    return endpoint.secret


def due_ids(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Due deliveries of enabled endpoints (a disabled endpoint's deliveries wait for it)."""
    enabled = WebhookDelivery.endpoint_id.in_(select(WebhookEndpoint.id).where(WebhookEndpoint.enabled))
    return QUEUE.due_ids(session, now, limit, enabled)


def deliveries(session: Session, endpoint_id: int, status: str | None = None, before: int | None = None,
               limit: int = 100) -> list[WebhookDelivery]:
    """Newest first; ``before`` (a row id) pages back."""
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
             .order_by(WebhookDelivery.id.desc()).limit(limit))
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return list(session.scalars(query))


def endpoint_counts(session: Session, now: datetime, endpoint_id: int) -> dict[str, int]:
    return QUEUE.counts(session, now, OVERDUE, WebhookDelivery.endpoint_id == endpoint_id)


def health(session: Session, now: datetime) -> dict[str, Any]:
    """Counts for /healthz: late, held or failed deliveries are a warning, never an outage of the chat."""
    counts = QUEUE.counts(session, now, OVERDUE)
    held = QUEUE.counts(session, now, OVERDUE, WebhookDelivery.endpoint_id.in_(
        select(WebhookEndpoint.id).where(~WebhookEndpoint.enabled)))
    # Held ones grow old by an admin's choice; only the others are late.
    counts["overdue"] -= held["overdue"]
    result: dict[str, Any] = {"ok": True, **counts, "held": held["queued"]}
    problems = []
    if counts["failed"]:
        problems.append(f"{counts['failed']} webhook deliveries failed for good; an admin can see and resend "
                        "them on the webhooks page")
    if held["queued"]:
        problems.append(f"{held['queued']} webhook deliveries held: their endpoint is disabled")
    if counts["overdue"]:
        problems.append(f"{counts['overdue']} webhook deliveries waiting longer than {OVERDUE.seconds // 60} "
                        "minutes; retried with backoff")
    if problems:
        result.update(ok=False, detail="; ".join(problems))
    return result


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _end_of_transaction(session: Session) -> None:
    forget_subscribers(session)   # the next transaction reads the endpoints again

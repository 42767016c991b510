"""Sending the queued webhook deliveries over HTTP, signed (blocking: callers run ``deliver_due`` in a thread).

Each delivery is claimed, posted and marked in separate steps, so no transaction stays open while a
receiver answers. If marking a delivered one fails (the database went away just then), its lease
runs out and it goes again with the same delivery id: at least once, and a receiver that remembers
the ids it has seen gets each event once.

The signature (``Candor-Signature: t=<unix time>,v1=<hex>``) is HMAC-SHA256 with the endpoint's
secret over ``"<t>.<body>"``; the body holds the delivery id, so id, time and content are all
signed. After a secret rotation a second ``v1=`` signs with the old secret for a day.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime

import httpx

from candor.db import session_scope
from touchpoints import webhooks
from touchpoints.webhook_models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
USER_AGENT = "Candor-Webhooks/1"


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def request_parts(endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The exact bytes to post and the headers that sign them."""
    payload = json.dumps(webhooks.body(delivery), separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())   # when it really leaves (``now`` is the queue's clock, for due times)
    signed = ",".join(f"v1={signature(key, timestamp, payload)}" for key in webhooks.signing_secrets(endpoint, now))
    return payload, {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Candor-Delivery": delivery.delivery_id,
        "Candor-Event": delivery.event,
        "Candor-Signature": f"t={timestamp},{signed}",
    }


def post(client: httpx.Client, endpoint: WebhookEndpoint, delivery: WebhookDelivery,
         now: datetime) -> tuple[int | None, str | None]:
    """The receiver's status code (None when none came) and, unless it was a 2xx, why it failed in words."""
    payload, headers = request_parts(endpoint, delivery, now)
    try:
        response = client.post(endpoint.url, content=payload, headers=headers)
    except httpx.TimeoutException:
        return None, f"the receiver did not answer within {webhooks.REQUEST_TIMEOUT_S:.0f} s"
    except httpx.ConnectError as error:
        return None, f"could not connect to the receiver ({_reason(error)})"
    except httpx.HTTPError as error:
        return None, f"the connection to the receiver broke off ({error.__class__.__name__}: {_reason(error)})"
    if response.is_success:
        return response.status_code, None
    if response.is_redirect:
        where = response.headers.get("location", "elsewhere")
        return response.status_code, (f"the receiver answered {response.status_code}, a redirect to {where}; "
                                      "webhooks do not follow redirects, so change the endpoint's URL")
    excerpt = " ".join(response.text[:200].split())
    said = f": {excerpt}" if excerpt else ""
    return response.status_code, f"the receiver answered {response.status_code} {response.reason_phrase}{said}"


def _reason(error: Exception) -> str:
    return str(error) or error.__class__.__name__


def deliver_due(now: datetime, limit: int = 20, client: httpx.Client | None = None) -> dict[str, int]:
    """Post what is due now (claimed atomically, so several workers may run this at once)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with session_scope() as session:
        due = webhooks.due_ids(session, now, limit)
    if not due:
        return counts
    own, started = client is None, time.monotonic()
    client = client or httpx.Client(timeout=webhooks.REQUEST_TIMEOUT_S, follow_redirects=False)
    try:
        for row_id in due:
            # Every claim's lease counts from ``now``: slow receivers that make the round long leave
            # the rest to the next round, before a lease could run out while its row is being posted.
            if time.monotonic() - started > webhooks.LEASE.total_seconds() / 2:
                break
            with session_scope() as session:
                delivery = webhooks.QUEUE.claim(session, row_id, now)
                endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
            if delivery is None or endpoint is None:
                continue  # another worker has it, or the endpoint was deleted meanwhile
            code, error = post(client, endpoint, delivery, now)
            with session_scope() as session:
                current = session.get(WebhookDelivery, row_id)
                if current is None:
                    continue   # erased or deleted while we were posting
                current.response_code = code
                if error is None:
                    webhooks.QUEUE.mark_sent(current, now)
                    counts["sent"] += 1
                else:
                    webhooks.QUEUE.mark_failed(current, now, error, permanent=False)
                    counts["failed" if current.status == "failed" else "retry"] += 1
                    logger.warning("Webhook delivery %s (%s) to endpoint %d, attempt %d: %s", current.delivery_id,
                                   current.event, current.endpoint_id, current.attempts, error)
    finally:
        if own:
            client.close()
    return counts

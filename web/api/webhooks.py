"""Outbound webhooks for admins: endpoints (create, change, disable, delete, rotate the secret),
each endpoint's delivery log with a resend, and the loop that posts what is due
(conversations.webhook_sender). The secret is shown once, when made or rotated."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from candor.db import session_scope, utcnow
from conversations import webhook_sender
from routing import audit
from routing.staff import User
from touchpoints import webhooks
from touchpoints.webhook_models import WebhookDelivery, WebhookEndpoint
from web.api.staff import RowId, require
from web.schemas import UtcDatetime

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/webhooks", tags=["admin"])
Admin = Annotated[User, Depends(require("admin"))]
SEND_EVERY_S = 2.0
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() in _LOOPBACK_NAMES


def check_url(url: str) -> str:
    """An absolute https URL (http only to this machine: events are not sent in the clear)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as error:
        raise ValueError(f"is not a URL we can post to ({error})") from error
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("must be a full address starting with https://, e.g. https://crm.example.com/candor")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError("must use https:// (plain http:// is allowed only for a receiver on this machine)")
    if parts.username or parts.password:
        raise ValueError("must not contain a user name or password; receivers check the signature instead")
    if parts.fragment:
        raise ValueError("must not contain a #fragment (it is never sent)")
    return url


Url = Annotated[str, Field(min_length=8, max_length=2000, description="https://… (http:// only to loopback)")]
Events = Annotated[list[webhooks.EventName], Field(min_length=1, max_length=len(webhooks.EVENTS),
                                                   description="Which events this endpoint receives")]


class EndpointNew(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url
    events: Events
    description: str = Field(default="", max_length=200, description="For the admins: who receives this and why")

    _url = field_validator("url")(check_url)


class EndpointChange(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")
    url: Url | None = None
    events: Events | None = None
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)


class EndpointView(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    created_at: UtcDatetime
    created_by: str
    previous_secret_until: UtcDatetime | None = Field(
        description="After a rotation: until when the old secret still signs (a second v1= signature)")
    queued: int = Field(description="Deliveries waiting (held while the endpoint is disabled)")
    failed: int = Field(description="Deliveries that failed for good; resend them from the log")


class EndpointWithSecret(EndpointView):
    secret: str = Field(description="Shown this once: copy it into the receiver's configuration now")


class DeliveryView(BaseModel):
    id: int = Field(description="The log row, for a resend")
    delivery_id: str = Field(description="The Candor-Delivery header: the same on every attempt")
    event: str
    status: str = Field(description="queued (waiting or retrying), sent (answered 2xx) or failed (for good)")
    attempts: int
    response_code: int | None = Field(description="The receiver's HTTP status at the last attempt, if it answered")
    last_error: str | None = Field(description="Why the last attempt failed, in words")
    created_at: UtcDatetime
    next_attempt_at: UtcDatetime | None = Field(description="When it is tried next (queued only)")
    sent_at: UtcDatetime | None


def _view(session: Session, endpoint: WebhookEndpoint) -> EndpointView:
    counts = webhooks.endpoint_counts(session, utcnow(), endpoint.id)
    return EndpointView(id=endpoint.id, url=endpoint.url, description=endpoint.description, events=endpoint.events,
                        enabled=endpoint.enabled, created_at=endpoint.created_at, created_by=endpoint.created_by,
                        previous_secret_until=endpoint.previous_secret_until, queued=counts["queued"],
                        failed=counts["failed"])


def _delivery(row: WebhookDelivery) -> DeliveryView:
    return DeliveryView(id=row.id, delivery_id=row.delivery_id, event=row.event, status=row.status,
                        attempts=row.attempts, response_code=row.response_code, last_error=row.last_error,
                        created_at=row.created_at, sent_at=row.sent_at,
                        next_attempt_at=row.next_attempt_at if row.status == "queued" else None)


def _endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise HTTPException(404, f"No webhook endpoint {endpoint_id}; it may have been deleted.")
    return endpoint


@router.get("")
def list_endpoints(user: Admin) -> list[EndpointView]:
    """Every endpoint, with how many of its deliveries wait or failed."""
    with session_scope() as session:
        return [_view(session, e) for e in session.query(WebhookEndpoint).order_by(WebhookEndpoint.id)]


@router.post("", status_code=201)
def create_endpoint(body: EndpointNew, user: Admin) -> EndpointWithSecret:
    """A new endpoint, enabled; its signing secret is in this answer only."""
    with session_scope() as session:
        endpoint = webhooks.create(session, body.url, list(body.events), body.description.strip(), user.username)
        audit.record(session, user.username, "webhook.added", endpoint.url, events=endpoint.events)
        return EndpointWithSecret(**_view(session, endpoint).model_dump(), secret=endpoint.secret)


@router.patch("/{endpoint_id}")
def change_endpoint(endpoint_id: RowId, body: EndpointChange, user: Admin) -> EndpointView:
    """Change the URL, the events or the description, or disable/enable (a disabled one's deliveries wait)."""
    given = {f: getattr(body, f) for f in body.model_fields_set if getattr(body, f) is not None}
    if not given:
        raise HTTPException(422, "Nothing to change: give url, events, description or enabled.")
    with session_scope() as session:
        endpoint = _endpoint(session, endpoint_id)
        changed = {f: {"from": getattr(endpoint, f), "to": v} for f, v in given.items() if getattr(endpoint, f) != v}
        for field, value in given.items():
            setattr(endpoint, field, sorted(set(value)) if field == "events" else value)
        if changed:
            audit.record(session, user.username, "webhook.changed", endpoint.url, **changed)
        return _view(session, endpoint)


@router.delete("/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: RowId, user: Admin) -> Response:
    """The endpoint and its delivery log go; nothing more is sent to it."""
    with session_scope() as session:
        endpoint = _endpoint(session, endpoint_id)
        audit.record(session, user.username, "webhook.deleted", endpoint.url)
        session.delete(endpoint)
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret")
def rotate_secret(endpoint_id: RowId, user: Admin) -> EndpointWithSecret:
    """A new secret, shown once; the old one still signs for a day so the receiver can switch."""
    with session_scope() as session:
        endpoint = _endpoint(session, endpoint_id)
        secret = webhooks.rotate(session, endpoint, utcnow())
        audit.record(session, user.username, "webhook.secret_rotated", endpoint.url)
        return EndpointWithSecret(**_view(session, endpoint).model_dump(), secret=secret)


@router.get("/{endpoint_id}/deliveries")
def list_deliveries(
    endpoint_id: RowId, user: Admin,
    status: Annotated[Literal["queued", "sent", "failed"] | None, Query()] = None,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="A row id: older rows than it")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryView]:
    """The endpoint's delivery log, newest first: status, attempts, the receiver's answer, why it failed."""
    with session_scope() as session:
        _endpoint(session, endpoint_id)
        return [_delivery(row) for row in webhooks.deliveries(session, endpoint_id, status, before, limit)]


@router.post("/{endpoint_id}/deliveries/{delivery_id}/retry")
def retry_delivery(endpoint_id: RowId, delivery_id: RowId, user: Admin) -> DeliveryView:
    """Send a failed or waiting delivery again now (same delivery id), e.g. after fixing the receiver."""
    with session_scope() as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None or row.endpoint_id != endpoint_id:
            raise HTTPException(404, f"No delivery {delivery_id} in this endpoint's log.")
        if row.status == "sent":
            raise HTTPException(409, f"Delivery {delivery_id} was already delivered; nothing to resend.")
        webhooks.QUEUE.retry(session, delivery_id, utcnow())
        return _delivery(row)


async def send_due_webhooks(every_s: float | None = None) -> None:
    """The web app's sender: every few seconds, what is due. Safe in every worker at once (claims
    are atomic); a slow receiver delays only this task, never a chat turn."""
    every_s = every_s or SEND_EVERY_S
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(webhook_sender.deliver_due, utcnow())
        except Exception:  # the database may be away; the deliveries stay queued for the next round
            logger.exception("Sending webhooks failed; retrying in %.0f s", every_s)

"""Outbound webhooks: the endpoints admins configure, and one delivery row per event and endpoint.

The tables sit in the touchpoints layer so that every source of an event (the scorer here, the
escalation queue in routing, closing a conversation) can queue its delivery in its own transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from candor.db import Base, utcnow
from candor.retry_queue import Retrying
from touchpoints import customer_models  # noqa: F401  (the customers table referenced below)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The receiver needs the same secret to check signatures, so it is kept as given (a hash would
    # not sign). The API shows it once, when made or rotated.
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret still signs (a second signature) until the receiver has switched.
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_until: Mapped[datetime | None] = mapped_column(nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))


class WebhookDelivery(Retrying, Base):
    """One event for one endpoint. ``delivery_id`` goes out in every attempt, so receivers dedupe."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Erasing a conversation or a customer erases what was (or would be) sent about them.
    conversation_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True, nullable=True)
    customer_id: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("customers.id", ondelete="CASCADE"), index=True, nullable=True)
    response_code: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)

"""The customer behind the conversations: a business's customer id, and the browsers it was seen on.

A customer row exists once the business's site passed the id (signed, or unsigned while no identity
secret is configured); `verified` turns true with the first good signature and stays. A visitor is the
opaque id the widget keeps in one browser's localStorage; it is linked (merged) to a customer when a
conversation from that browser arrives with a good signature.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from candor.db import Base, utcnow


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # the business's own customer id
    verified: Mapped[bool] = mapped_column(default=False, index=True)
    # Only attributes that arrived with a good signature: the routing policy may trust these.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Visitor(Base):
    __tablename__ = "visitors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("customers.id", ondelete="CASCADE"), nullable=True, index=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    merged_at: Mapped[datetime | None] = mapped_column(nullable=True)

"""Types shared by the API's response models: one way to write a moment.

Response models write their datetimes as ``UtcDatetime``, so a timestamp reads the same in every
payload: the database keeps naive UTC, the API adds the ``Z`` (``2026-05-01T09:30:00.123456Z``;
no fraction when the microseconds are 0, as ``datetime.isoformat`` writes it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

from candor.db import utc_text

UtcDatetime = Annotated[
    datetime,
    PlainSerializer(utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-05-01T09:30:00.123456Z"]}),
]


"""Business hours: when a person can pick up, and when the team is next back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _parse_span(span: str) -> tuple[time, time]:
    match = _SPAN.match(span.replace(" ", ""))
    if not match:
        raise ValueError(f"'{span}' is not a span like '08:00-20:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    opens, closes = time(h1, m1), time(23, 59, 59) if (h2, m2) >= (24, 0) else time(h2, m2)
    if closes <= opens:
        raise ValueError(f"'{span}' closes before it opens")
    return opens, closes


class BusinessHours(BaseModel):
    """Opening spans per weekday in the business's time zone; days not listed are closed."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    weekly: dict[str, str] = {day: "00:00-24:00" for day in WEEKDAYS}
    closed_dates: list[date] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone '{value}' (use an IANA name like Europe/London)") from error
        return value

    @field_validator("weekly")
    @classmethod
    def _valid_days(cls, value: dict[str, str]) -> dict[str, str]:
        for day, span in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"'{day}' is not a weekday; use {', '.join(WEEKDAYS)}")
            _parse_span(span)
        return value

    def _local(self, when: datetime) -> datetime:
        aware = when if when.tzinfo else when.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(self.timezone))

    def _span_on(self, day: date) -> tuple[time, time] | None:
        span = self.weekly.get(WEEKDAYS[day.weekday()])
        if span is None or day in self.closed_dates:
            return None
        return _parse_span(span)

    def is_open(self, when: datetime) -> bool:
        local = self._local(when)
        span = self._span_on(local.date())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, when: datetime) -> datetime | None:
        """The next moment the team is in, as an aware local time; None if never within two weeks."""
        local = self._local(when)
        for offset in range(15):
            day = local.date() + timedelta(days=offset)
            span = self._span_on(day)
            if span is None:
                continue
            opens = datetime.combine(day, span[0], tzinfo=local.tzinfo)
            if opens > local:
                return opens
            if local.time() < span[1]:
                return local
        return None


def describe_opening(opens: datetime | None, now: datetime) -> str:
    """'at 08:00', 'tomorrow at 08:00', 'on Monday at 09:00' — in the business's local time."""
    if opens is None:
        return "as soon as they can"
    local_now = now.astimezone(opens.tzinfo) if now.tzinfo else now.replace(tzinfo=UTC).astimezone(opens.tzinfo)
    days = (opens.date() - local_now.date()).days
    clock = opens.strftime("%H:%M")
    if days <= 0:
        return f"at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"on {opens.strftime('%A')} at {clock}"

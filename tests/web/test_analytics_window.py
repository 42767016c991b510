"""The analytics window: times with an offset are converted to UTC (the stored clock), not cut off."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi import HTTPException

from web.api.analytics import _window

pytestmark = pytest.mark.unit


def test_an_offset_is_converted_to_utc_and_a_naive_time_is_taken_as_utc():
    paris = timezone(timedelta(hours=1))
    since, until = _window(datetime(2026, 11, 1, 9, 0, tzinfo=paris), datetime(2026, 11, 2, 9, 0))
    assert (since, until) == (datetime(2026, 11, 1, 8, 0), datetime(2026, 11, 2, 9, 0))


def test_the_order_is_judged_after_conversion():
    # 09:30 in Paris is 08:30 UTC: before an until of 09:00 UTC, though the wall clock says after.
    since, until = _window(datetime(2026, 11, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))),
                           datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    assert since < until
    with pytest.raises(HTTPException) as refused:
        _window(datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
                datetime(2026, 11, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))))
    assert refused.value.status_code == 422

"""The analytics window: times with an offset are converted to UTC (the stored clock), not cut off;
reads never score (concurrent reads of one touchpoint once raced to insert it); the export streams
the window's rows."""

import csv
import io
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi import HTTPException
from sqlalchemy import select
from web_helpers import offline_client, start

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


def _editor(client) -> dict[str, str]:
    import secrets

    from candor.db import session_scope
    from routing import staff

    name = f"analytics-{secrets.token_hex(3)}"
    with session_scope() as session:
        staff.add_user(session, name, "correct horse battery", "editor", [])
    token = client.post("/api/auth/login", json={"username": name, "password": "correct horse battery"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_reading_a_touchpoint_does_not_score_it(database):
    from candor.db import session_scope, utcnow
    from touchpoints.models import TouchpointDirty
    from touchpoints.scorer import score_pending

    client = offline_client()
    conversation_id, customer = start(client)
    headers = _editor(client)
    assert client.post(f"/api/conversations/{conversation_id}/messages", headers=customer,
                       json={"text": "hello"}).status_code == 200
    threads = [threading.Thread(target=client.get, args=(f"/api/touchpoints/{conversation_id}",),
                                kwargs={"headers": headers}) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    answer = client.get(f"/api/touchpoints/{conversation_id}", headers=headers)
    assert answer.status_code == 404 and "scored within seconds" in answer.json()["detail"]
    with session_scope() as session:
        assert session.get(TouchpointDirty, conversation_id) is not None   # left for the scorer
        assert score_pending(session, utcnow()) >= 1
    assert client.get(f"/api/touchpoints/{conversation_id}", headers=headers).json()["conversation_id"] == \
        conversation_id


def test_concurrent_reads_beside_a_scorer_score_the_touchpoint_once(database):
    """With the background scorer in the process, a read scores what it needs itself: four reads
    at once all get the touchpoint, and none fails on inserting it twice."""
    client = offline_client()
    client.app.state.scorer = True   # as the lifespan sets it when the scorer runs
    conversation_id, customer = start(client)
    headers = _editor(client)
    assert client.post(f"/api/conversations/{conversation_id}/messages", headers=customer,
                       json={"text": "how much is installation?"}).status_code == 200
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(
        client.get(f"/api/touchpoints/{conversation_id}", headers=headers).status_code)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [200, 200, 200, 200]


def test_the_export_streams_the_rows_of_the_window(database):
    from candor.db import session_scope, utcnow
    from touchpoints.analytics import EXPORT_COLUMNS
    from touchpoints.models import Touchpoint
    from touchpoints.scorer import score_pending

    client = offline_client()
    headers = _editor(client)
    ids = []
    for _ in range(3):
        conversation_id, customer = start(client)
        client.post(f"/api/conversations/{conversation_id}/messages", headers=customer, json={"text": "hi"})
        ids.append(conversation_id)
    with session_scope() as session:
        while score_pending(session, utcnow()):
            pass
        stored = {t.conversation_id: t for t in session.scalars(
            select(Touchpoint).where(Touchpoint.conversation_id.in_(ids)))}
    answer = client.get("/api/analytics/export.csv", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = {r["conversation_id"]: r for r in csv.DictReader(io.StringIO(answer.text))}
    assert list(next(csv.reader(io.StringIO(answer.text)))) == list(EXPORT_COLUMNS)
    for conversation_id in ids:   # round trip: each field as stored
        t = stored[conversation_id]
        row = rows[conversation_id]
        assert row["started_at"] == t.started_at.isoformat() + "Z" and row["resolution"] == t.resolution
        assert row["escalation_reasons"] == ";".join(t.escalation_reasons) and row["turns"] == str(t.turns)
        assert row["experience_score"] == str(t.experience_score)
    # The dashboard's window applies: a window before these conversations leaves them out.
    earlier = client.get("/api/analytics/export.csv", headers=headers,
                         params={"since": "2020-01-01", "until": "2020-01-02"})
    assert earlier.text.strip().splitlines() == [",".join(EXPORT_COLUMNS)]

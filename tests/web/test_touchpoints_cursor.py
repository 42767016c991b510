"""GET /api/touchpoints pages by a keyset cursor: every touchpoint once, newest first, across pages;
a cursor it did not give out is refused with words."""

import secrets
from datetime import timedelta

import pytest
from web_helpers import offline_client

pytestmark = pytest.mark.unit


def test_pages_by_cursor_cover_every_touchpoint_once(database):
    from candor.db import session_scope, utcnow
    from routing import staff
    from touchpoints.models import Conversation, Touchpoint

    now = utcnow()
    # A stage of this test's own, so other tests' touchpoints in the shared database stay out of the pages.
    stage, prefix = f"cursor-{secrets.token_hex(3)}", f"cursor-{secrets.token_hex(3)}-"
    with session_scope() as session:
        for i in range(7):   # two share a start time: the id breaks the tie
            cid = f"{prefix}{i}"
            started = now - timedelta(minutes=min(i, 5))
            session.add(Conversation(id=cid, token_hash="0" * 64, status="closed", attributes={},
                                     created_at=started, updated_at=started))
            session.flush()
            session.add(Touchpoint(conversation_id=cid, stage=stage, resolution="resolved_by_bot",
                                   sentiments=[], turns=1, rephrasings=0, satisfaction=4.0, satisfaction_predicted=True,
                                   experience_score=80, escalated=False, escalation_reasons=[],
                                   articles=[], formula_version=1, started_at=started, last_activity_at=started,
                                   seen_message_id=0, seen_event_id=0, scored_at=started))
        name = f"cursor-{secrets.token_hex(3)}"
        staff.add_user(session, name, "correct horse battery", "editor", [])
    client = offline_client()
    token = client.post("/api/auth/login", json={"username": name, "password": "correct horse battery"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    seen, after, pages = [], None, 0
    while True:
        answer = client.get("/api/touchpoints", headers=headers,
                            params={"limit": 3, "stage": stage, **({"after": after} if after else {})})
        assert answer.status_code == 200
        seen += [t["conversation_id"] for t in answer.json()]
        pages += 1
        after = answer.headers.get("X-Next-Cursor")
        if not after:
            break
    assert pages == 3 and seen == [f"{prefix}{i}" for i in (0, 1, 2, 3, 4, 6, 5)]
    bad = client.get("/api/touchpoints", headers=headers, params={"after": "not-a-cursor"})
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]

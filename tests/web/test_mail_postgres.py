"""The outbox on PostgreSQL (migration 0008 applied there for real): concurrent claims of the same
due mails, from many threads, hand each mail to exactly one sender."""

from datetime import timedelta

import pytest
from web_helpers import claimed_by_workers

pytestmark = [pytest.mark.postgres, pytest.mark.integration]


def test_each_due_mail_is_claimed_by_exactly_one_worker(postgres_url):
    from candor.db import session_scope, utcnow
    from conversations import outbox
    from conversations.outbox import OutboundMail
    from touchpoints import conversations

    with session_scope(postgres_url) as session:
        conversation, _ = conversations.create(session)
        ids = [outbox.enqueue(session, f"c{n}@example.com", "s", "t", "<p>t</p>", "transcript", conversation.id).id
               for n in range(20)]
    now = utcnow() + timedelta(seconds=1)

    claims = claimed_by_workers(postgres_url, ids, lambda session, mail_id: outbox.claim(session, mail_id, now))
    assert sorted(claims) == sorted(ids)       # every mail once, none twice
    with session_scope(postgres_url) as session:
        rows = [session.get_one(OutboundMail, i) for i in ids]
        assert {(r.attempts, r.next_attempt_at) for r in rows} == {(1, now + outbox.LEASE)}
        assert not set(outbox.due_ids(session, now + outbox.LEASE - timedelta(seconds=1), 10_000)) & set(ids)
        # A sender that died mid-send: after the lease the mail is due again, never lost.
        assert set(ids) <= set(outbox.due_ids(session, now + outbox.LEASE, 10_000))

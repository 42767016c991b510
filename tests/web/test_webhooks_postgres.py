"""Outbound webhooks on PostgreSQL (migration 0016 applied there for real): an event fans out to the
endpoints that want it, concurrent senders claim each delivery exactly once, erasing a conversation
or a customer takes what would be sent about them, and the status column refuses values the queue
does not have."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from web_helpers import claimed_by_workers

pytestmark = [pytest.mark.postgres, pytest.mark.integration]


def test_webhook_queue_on_postgres(postgres_url):
    from candor.db import session_scope, utcnow
    from conversations import erasure
    from touchpoints import conversations, webhooks
    from touchpoints.customer_models import Customer
    from touchpoints.webhook_models import WebhookDelivery

    with session_scope(postgres_url) as session:
        wanted = webhooks.create(session, "https://crm.example.com/a", ["escalation.created"], "CRM", "admin")
        other = webhooks.create(session, "https://crm.example.com/b", ["touchpoint.scored"], "BI", "admin")
        session.add(Customer(id="c-9", verified=True, attributes={}))
        made = [conversations.create(session)[0] for _ in range(12)]
        session.flush()
        made[0].customer_id = "c-9"
        for conversation in made:
            webhooks.emit(session, "escalation.created", {"conversation_id": conversation.id},
                          conversation_id=conversation.id, customer_id=conversation.customer_id)
    ids = [conversation.id for conversation in made]
    with session_scope(postgres_url) as session:
        rows = list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.conversation_id.in_(ids))))
        assert {r.endpoint_id for r in rows} == {wanted.id} and len(rows) == 12   # not to the BI endpoint
        assert len({r.delivery_id for r in rows}) == 12
        row_ids = [r.id for r in rows]
        assert other.id not in {r.endpoint_id for r in rows}
    now = utcnow() + timedelta(seconds=1)

    claims = claimed_by_workers(postgres_url, row_ids,
                                lambda session, row_id: webhooks.QUEUE.claim(session, row_id, now))
    assert sorted(claims) == sorted(row_ids)           # every delivery once, none twice
    with session_scope(postgres_url) as session:
        assert not set(webhooks.due_ids(session, now + webhooks.LEASE - timedelta(seconds=1), 10_000)) & set(row_ids)
        assert set(row_ids) <= set(webhooks.due_ids(session, now + webhooks.LEASE, 10_000))   # lease ran out

    with session_scope(postgres_url) as session:
        erasure.erase(session, ids[1:3])
        session.execute(text("DELETE FROM customers WHERE id = 'c-9'"))   # a customer's record erased
    with session_scope(postgres_url) as session:
        left = set(session.scalars(select(WebhookDelivery.conversation_id).where(WebhookDelivery.id.in_(row_ids))))
        assert left == set(ids[3:])

    with pytest.raises(IntegrityError), session_scope(postgres_url) as session:
        session.execute(text("UPDATE webhook_deliveries SET status = 'sending'"))

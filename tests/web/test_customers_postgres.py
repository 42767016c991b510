"""Customers and visitors on PostgreSQL (migration 0014 applied there for real): a customer's first
conversations arriving at once make one record, the visitor merge, and erasure leaving zero rows."""

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, or_, select

pytestmark = [pytest.mark.postgres, pytest.mark.integration]
SECRET = "pg-identity-secret"


def start(url: str, customer: str | None, visitor: str | None) -> str:
    from candor.db import session_scope
    from conversations import customers
    from touchpoints import conversations

    identity = customers.check(SECRET, customer, customers.sign(SECRET, customer) if customer else None, {},
                               visitor)
    with session_scope(url) as session:
        conversation, _ = conversations.create(session, identity.attributes)
        customers.link(session, conversation, identity)
        return conversation.id


def test_identity_merge_and_erasure_on_postgres(postgres_url):
    from candor.db import session_scope
    from conversations.erasure import conversations_of, erase
    from touchpoints.customer_models import Customer, Visitor
    from touchpoints.models import Conversation

    customer, browser = f"pg-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    anonymous = start(postgres_url, None, browser)
    # Eight first conversations of one customer at once: one record, all of them linked to it.
    with ThreadPoolExecutor(8) as pool:
        signed = list(pool.map(lambda _: start(postgres_url, customer, browser), range(8)))
    other = start(postgres_url, None, secrets.token_urlsafe(16))

    with session_scope(postgres_url) as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.id == customer)) == 1
        linked = set(session.scalars(select(Conversation.id).where(Conversation.customer_id == customer)))
        assert linked == {anonymous, *signed}
        assert session.get_one(Visitor, browser).customer_id == customer

        ids = conversations_of(session, customer)
        assert set(ids) == {anonymous, *signed}
        counts = erase(session, ids)
    assert counts["conversations"] == 9 and counts["customers"] == 1 and counts["visitors"] == 1
    with session_scope(postgres_url) as session:
        assert session.scalar(select(func.count()).select_from(Conversation).where(
            or_(Conversation.customer_id == customer, Conversation.visitor_id == browser))) == 0
        assert session.get(Customer, customer) is None and session.get(Visitor, browser) is None
        assert session.get(Conversation, other) is not None

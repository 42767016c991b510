"""Who is behind a conversation: signed customer ids, the widget's visitor ids, and the merge of both.

The business's server signs its customer id (HMAC-SHA256 with the site's identity secret, hex), as
Intercom's and Chatwoot's identity verification do. A good signature makes the id and the attributes
sent with it trustworthy: the conversation is linked to the customer record, its attributes carry
``verified: true`` for the routing policy, and earlier conversations from the same browser (visitor
id) join the customer. Without a secret configured, ids are linked but stay unverified.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from candor.db import utcnow
from touchpoints.customer_models import Customer, Visitor
from touchpoints.models import Conversation

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
T = TypeVar("T", Customer, Visitor)
VERIFIED = "verified"   # the attribute key the routing policy reads; only this module sets it


class IdentityRefused(Exception):
    """A customer id the server cannot accept: the message says why, for the site's developer."""


@dataclass
class Identity:
    customer_id: str | None = None
    verified: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    visitor_id: str | None = None


def sign(secret: str, customer_id: str) -> str:
    """What the business's server computes (the README has the same in Python and Node)."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def check(secret: str, customer_id: str | None, signature: str | None,
          attributes: dict[str, Any], visitor_id: str | None) -> Identity:
    """Decide before anything is stored; raises IdentityRefused (a 401) on a bad or missing signature."""
    if VERIFIED in attributes:
        raise IdentityRefused(f"'{VERIFIED}' is set by Candor after checking a signature; leave it out of "
                              "attributes and send customer.signature instead.")
    if customer_id is None:
        if signature is not None:
            raise IdentityRefused("A signature was sent without customer.id; send both.")
        return Identity(attributes=dict(attributes), visitor_id=visitor_id)
    if not secret:
        if signature is not None:
            raise IdentityRefused("This server has no identity secret (CANDOR_IDENTITY_SECRET), so it cannot "
                                  "check the signature; configure it or leave the signature out.")
        return Identity(customer_id, False, dict(attributes), visitor_id)
    if signature is None:
        raise IdentityRefused("customer.signature is required: sign customer.id on your server with the "
                              "identity secret (HMAC-SHA256, hex). Nothing was stored.")
    if not hmac.compare_digest(sign(secret, customer_id), signature.strip().lower()):
        raise IdentityRefused("customer.signature does not match customer.id (HMAC-SHA256 of the id with "
                              "the identity secret, hex). Nothing was stored.")
    return Identity(customer_id, True, {**attributes, VERIFIED: True}, visitor_id)


def link(session: Session, conversation: Conversation, identity: Identity) -> None:
    """Record the customer and visitor of a new conversation (in the transaction that creates it)."""
    now = utcnow()
    if identity.visitor_id:
        visitor = _get_or_add(session, Visitor, identity.visitor_id, first_seen=now)
        conversation.visitor_id = visitor.id
    if identity.customer_id is None:
        return
    customer = _get_or_add(session, Customer, identity.customer_id, verified=False, attributes={},
                           first_seen=now, last_seen=now)
    customer.last_seen = now
    if identity.verified:
        customer.verified = True
        customer.attributes = {**customer.attributes, **identity.attributes}
    conversation.customer_id = customer.id
    if identity.verified and identity.visitor_id:
        merged = session.get(Visitor, identity.visitor_id)
        assert merged is not None  # added above
        if merged.customer_id != customer.id:
            merged.customer_id, merged.merged_at = customer.id, now
        # The browser's anonymous conversations join the customer; ones another customer proved stay theirs.
        session.execute(update(Conversation)
                        .where(Conversation.visitor_id == merged.id, Conversation.customer_id.is_(None))
                        .values(customer_id=customer.id), execution_options={"synchronize_session": False})
    session.flush()


def _get_or_add(session: Session, model: type[T], key: str, **values: Any) -> T:
    """The row, made if missing; two first conversations at once both end up with the one row."""
    found = session.get(model, key)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            row = model(id=key, **values)
            session.add(row)
        return row
    except IntegrityError:
        found = session.get(model, key)
        assert found is not None  # the other transaction's row, just committed
        return found

"""The background scorer lets a conversation in full flow settle: a dirty mark younger than
``settle`` waits for a later round instead of being rescored after every turn."""

from datetime import timedelta

import pytest

from candor.db import utcnow
from touchpoints import conversations
from touchpoints.journey import load_journey
from touchpoints.models import Touchpoint
from touchpoints.scorer import score_pending

pytestmark = pytest.mark.unit


def test_a_fresh_mark_waits_for_the_settle_time(db):
    conversation, _ = conversations.create(db, None)
    conversations.append(db, conversation.id, "customer", "how much is installation?")
    db.flush()
    now, settle = utcnow(), timedelta(seconds=5)
    score_pending(db, now, load_journey(), settle=settle)
    assert db.get(Touchpoint, conversation.id) is None
    score_pending(db, now + timedelta(seconds=6), load_journey(), settle=settle)
    assert db.get(Touchpoint, conversation.id) is not None

"""A touchpoint read scores what was marked before it, at once: the background scorer lets a
conversation in full flow settle for seconds, a page opened right after a turn must not show it stale."""

import time
from types import SimpleNamespace

import pytest

from candor.db import session_scope
from candor.migrate import upgrade
from touchpoints import conversations
from touchpoints.models import Touchpoint, TouchpointDirty
from web.api import analytics

pytestmark = pytest.mark.unit


def request(scorer: bool) -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(scorer=scorer)))


def two_conversations(url: str) -> tuple[str, str]:
    with session_scope(url) as session:
        ids = []
        for text in ("how much is installation?", "can I keep my number?"):
            conversation, _ = conversations.create(session, None)
            conversations.append(session, conversation.id, "customer", text)
            ids.append(conversation.id)
    return ids[0], ids[1]


def test_a_read_of_one_conversation_scores_it_and_only_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'settle.db'}"
    upgrade(url)
    asked, other = two_conversations(url)
    with session_scope(url) as session:
        began = time.monotonic()
        analytics._settle(request(scorer=True), session, asked)
        assert time.monotonic() - began < analytics.SETTLE_S          # scored, not waited for
        assert session.get(Touchpoint, asked) is not None
        assert session.get(Touchpoint, other) is None
        assert session.get(TouchpointDirty, other) is not None         # left for the background scorer


def test_a_read_of_all_scores_every_mark_and_none_without_a_scorer(tmp_path):
    url = f"sqlite:///{tmp_path / 'settle.db'}"
    upgrade(url)
    ids = two_conversations(url)
    with session_scope(url) as session:
        analytics._settle(request(scorer=False), session)              # no scorer here: reads never score
        assert all(session.get(Touchpoint, i) is None for i in ids)
        analytics._settle(request(scorer=True), session)
        assert all(session.get(Touchpoint, i) is not None for i in ids)

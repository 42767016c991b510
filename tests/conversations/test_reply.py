"""The bot → web reply contract: what actions send is what the web app reads."""

import pytest

from conversations.reply import VERSION, BotDecision, BotReply, Handoff, Source

pytestmark = pytest.mark.unit


def test_a_reply_round_trips_through_json():
    reply = BotReply(sources=[Source(article_id="a1", title="Router fee", url=None)],
                     details={"cost_breakdown": [{"item": "Router", "amount": "£0"}]})
    payload = reply.decided(BotDecision(action="escalate", confidence=0.91),
                            Handoff(reasons=["complaint"], team="support", priority=1, evidence={"intent": "complain"}))
    assert payload["version"] == VERSION
    assert payload["sources"] == [{"article_id": "a1", "title": "Router fee"}]
    assert payload["decision"] == {"action": "escalate", "confidence": 0.91}
    read = BotReply.read(payload)
    assert read.handoff == Handoff(reasons=["complaint"], team="support", priority=1, evidence={"intent": "complain"})
    assert read.details == reply.details


def test_an_offer_carries_its_handoff_flat_as_stored_transcripts_have_it():
    decision = BotDecision(action="offer", confidence=0.3, reasons=["low_confidence"], team="billing", priority=3,
                           evidence={})
    stored = decision.model_dump(mode="json", exclude_none=True)
    assert stored == {"action": "offer", "confidence": 0.3, "reasons": ["low_confidence"], "team": "billing",
                      "priority": 3, "evidence": {}}
    assert BotDecision.model_validate(stored).offered() == Handoff(reasons=["low_confidence"], team="billing",
                                                                   priority=3)
    assert BotDecision(action="answer").offered() is None


@pytest.mark.parametrize("custom", [None, {}])
def test_no_payload_is_a_plain_reply(custom):
    assert BotReply.read(custom) == BotReply()


def test_a_payload_without_a_version_is_read_as_the_current_one():
    # Replies sent before the version existed (tracker stores keep them) read as version 1.
    read = BotReply.read({"sources": [], "decision": {"action": "answer", "confidence": 0.9}})
    assert read.decision == BotDecision(action="answer", confidence=0.9)
    assert read.handoff is None


@pytest.mark.parametrize("custom", [
    {"version": VERSION + 1, "decision": {"action": "answer"}},
    {"decision": {"action": "dance"}},
    {"handoff": {"team": "billing"}},  # a handoff without reasons
])
def test_an_unreadable_payload_brings_in_a_person_rather_than_guessing(custom):
    read = BotReply.read(custom)
    assert read.handoff is not None and read.handoff.reasons == ["bot_reply_unreadable"]
    assert read.decision is None


def test_fields_a_newer_peer_adds_are_kept():
    read = BotReply.read({"sources": [{"article_id": "a", "title": "A", "url": "/a", "anchor": "fees"}]})
    assert read.sources[0].model_dump()["anchor"] == "fees"

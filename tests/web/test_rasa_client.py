import pytest

from web.rasa_client import merge_replies

pytestmark = pytest.mark.unit


def test_custom_payload_joins_the_message_before_it():
    replies = [
        {"recipient_id": "c", "text": "Install is £60.", "buttons": [{"title": "Yes", "payload": "/y"}]},
        {"recipient_id": "c", "custom": {"sources": [{"article_id": "install-fee"}]}},
        {"recipient_id": "c", "text": "Anything else?"},
    ]
    merged = merge_replies(replies)
    assert [m["text"] for m in merged] == ["Install is £60.", "Anything else?"]
    assert merged[0]["custom"]["sources"][0]["article_id"] == "install-fee"
    assert merged[1]["custom"] == {} and merged[1]["buttons"] == []


def test_a_custom_payload_alone_is_kept():
    merged = merge_replies([{"recipient_id": "c", "custom": {"handoff": {"reasons": ["x"]}}}])
    assert merged == [{"text": "", "buttons": [], "custom": {"handoff": {"reasons": ["x"]}}}]

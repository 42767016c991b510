"""The pure parts of `candor bench load`: percentiles, the "nothing lost" audit, the question scripts."""

import random
from pathlib import Path

import numpy as np
import pytest

from candor.load import AVOID, Audit, audit_transcript, percentile, question_pool, scripts

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
SENT = ["a", "b", "c", "d"]


@pytest.mark.parametrize("q", [0, 50, 95, 99, 100])
def test_percentile_matches_numpy_linear(q):
    values = [random.Random(3).uniform(1, 900) for _ in range(37)]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_small_cases():
    assert percentile([5.0], 95) == 5.0
    assert percentile([10.0, 20.0], 50) == 15.0
    assert np.isnan(percentile([], 50))


def test_a_correct_transcript_passes():
    assert audit_transcript(SENT, [], SENT) == (0, 0, 0)


def test_a_lost_message_is_detected():
    assert audit_transcript(SENT, [], ["a", "c", "d"]) == (1, 0, 0)


def test_a_duplicated_message_is_detected():
    assert audit_transcript(SENT, [], ["a", "b", "b", "c", "d"]) == (0, 1, 0)


def test_reordered_messages_are_detected():
    assert audit_transcript(SENT, [], ["b", "a", "c", "d"]) == (0, 0, 1)
    assert audit_transcript(SENT, [], ["a", "c", "d", "b"])[2] >= 1


def test_a_failed_request_may_or_may_not_have_been_stored():
    # "x" timed out: stored once or not at all is fine, stored twice is a duplicate.
    assert audit_transcript(SENT, ["x"], ["a", "b", "x", "c", "d"]) == (0, 0, 0)
    assert audit_transcript(SENT, ["x"], SENT) == (0, 0, 0)
    assert audit_transcript(SENT, ["x"], ["a", "x", "b", "x", "c", "d"]) == (0, 1, 0)


def test_repeated_texts_are_matched_copy_by_copy():
    assert audit_transcript(["a", "b", "a"], [], ["a", "b", "a"]) == (0, 0, 0)
    assert audit_transcript(["a", "b", "a"], [], ["a", "b"]) == (1, 0, 0)


def test_audit_fails_on_any_problem():
    assert Audit(conversations=3, checked_messages=12).ok
    assert not Audit(lost=1).ok and not Audit(duplicated=1).ok and not Audit(out_of_order=1).ok
    assert not Audit(unreadable=1).ok


def test_questions_are_seeded_and_avoid_handoff_phrases():
    pool = question_pool(ROOT / "knowledge" / "sample_kb.jsonl", ROOT / "routing" / "policy.yml")
    first = scripts(pool, 3, 12, random.Random(7))
    assert first == scripts(pool, 3, 12, random.Random(7))
    for script in first:
        assert len(set(script)) == len(script)  # unique texts keep the audit unambiguous
        assert not any(AVOID.search(q) or "cancel" in q.lower() for q in script)

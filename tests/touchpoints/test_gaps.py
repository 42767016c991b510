import pytest

from touchpoints.gaps import cluster_questions

pytestmark = pytest.mark.unit

# Seeded set: three needs the knowledge base does not cover, asked in different words.
QUESTIONS = [
    "can I pause my broadband while I travel abroad", "is it possible to suspend my internet for 3 months",
    "pause my contract while I'm away for the summer",
    "do you offer a discount for students", "student discount available?", "is there cheaper broadband for students",
    "can I get a static IP address", "how do I get a fixed IP address for my server",
    "do you sell gift vouchers",
]


def test_groups_are_by_meaning_stable_and_largest_first(embedder):
    gaps = cluster_questions(QUESTIONS + ["student discount available?"], embedder.encode_transient)
    groups = [set(g.questions) for g in gaps]
    assert set(QUESTIONS[0:3]) in groups and set(QUESTIONS[3:6]) in groups and set(QUESTIONS[6:8]) in groups
    assert gaps[0].size == 4 and gaps[0].representative in QUESTIONS[3:6]   # the repeated question counts twice
    assert {"do you sell gift vouchers"} in groups
    again = cluster_questions(list(reversed(QUESTIONS)) + ["student discount available?"], embedder.encode_transient)
    assert [(g.representative, g.questions) for g in again] == [(g.representative, g.questions) for g in gaps]
    assert cluster_questions([" ", ""], embedder.encode_transient) == []

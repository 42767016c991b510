"""Journey-stage classification on a small labelled set written for it (not tuned on anything else)."""

import pytest

from touchpoints.journey import JourneyConfigError, classify, load_journey

pytestmark = pytest.mark.unit

LABELLED = [
    (["Who are you? Never heard of Kestrel"], [], "awareness"),
    (["Do you cover my street in Leeds?"], [], "awareness"),
    (["What does Kestrel do exactly?"], [], "awareness"),
    (["I'm thinking of switching from BT, how much is Plus?"], [], "consideration"),
    (["What's the difference between Essential and Plus?"], [], "consideration"),
    (["Is Max 900 worth it compared to Plus?"], [], "consideration"),
    (["how much does installation cost"], ["cost"], "consideration"),
    (["I'd like to sign up for Plus 500 today"], [], "decision"),
    (["Is Essential 150 enough for my family of four?"], ["fit"], "decision"),
    (["How do I order? I want to book an installation date"], [], "decision"),
    (["I'm a customer and my bill went up"], [], "retention"),
    (["My router keeps dropping the connection"], [], "retention"),
    (["I want to cancel, I'm out of contract"], [], "retention"),
    (["Can I refer a friend? I'd recommend you to anyone"], [], "advocacy"),
    (["I love the service, where can I leave a review?"], [], "advocacy"),
    (["hello"], [], "awareness"),
]


@pytest.mark.parametrize(("texts", "kinds", "stage"), LABELLED)
def test_stage_of_labelled_conversations(texts, kinds, stage):
    assert classify(load_journey(), texts, kinds) == stage


def test_site_attribute_outweighs_a_single_cue_and_bad_config_is_named(tmp_path):
    assert classify(load_journey(), ["how much is Plus?"], [], attribute="retention") == "retention"
    bad = tmp_path / "journey.yml"
    bad.write_text("cues:\n  curiosity: [hello]\n")
    with pytest.raises(JourneyConfigError, match="curiosity"):
        load_journey(bad)

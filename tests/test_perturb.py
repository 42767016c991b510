"""The seeded typo perturber behind `candor eval --perturb`."""

import random
import re

import pytest

from candor.evaluation import Question
from candor.perturb import NEIGHBOURS, perturb, perturb_questions, typo

pytestmark = pytest.mark.unit

QUESTIONS = [
    Question("how much does installation cost?", ("installation-fee",)),
    Question("Is the £45 plan worth it for 3 people on 900Mb?", ("max-900", "plus-500"), escalate=False),
    Question("I want to talk to a person", (), escalate=True),
    Question("what's the best recipe for banana bread", ()),
]


def test_the_same_seed_gives_the_same_copies_and_another_seed_others():
    first, again = perturb_questions(QUESTIONS, seed=1), perturb_questions(QUESTIONS, seed=1)
    assert first == again
    assert perturb_questions(QUESTIONS, seed=2) != first
    assert [q.text for q in first] != [q.text for q in QUESTIONS]


def test_labels_are_kept_and_the_originals_untouched():
    copies = perturb_questions(QUESTIONS, seed=3, rate=1.0)
    assert [(q.expected, q.escalate) for q in copies] == [(q.expected, q.escalate) for q in QUESTIONS]
    assert QUESTIONS[0].text == "how much does installation cost?"


def test_about_the_rate_of_words_get_one_typo():
    rng = random.Random(0)
    words = ["installation", "broadband", "contract", "router", "engineer", "monthly"] * 500
    changed = total = 0
    for start in range(0, len(words), 10):
        chunk = words[start:start + 10]
        out = perturb(" ".join(chunk), rng, rate=0.25).lower().split(" ")
        assert len(out) == len(chunk)
        changed += sum(a != b for a, b in zip(out, chunk, strict=True))
        total += len(chunk)
    assert 0.22 <= changed / total <= 0.28


def test_digits_money_and_short_words_are_never_touched():
    rng = random.Random(5)
    text = "is £45.00 a month for 900Mb on a 24 month deal ok at 3pm"
    for _ in range(200):
        out = perturb(text, rng, rate=1.0).lower()  # casing may change; the letters may not
        assert re.findall(r"\S*[\d£]\S*", out) == re.findall(r"\S*[\d£]\S*", text.lower())
        assert out.split()[0] == "is" and out.split()[-1] == "3pm"


def test_casing_is_sometimes_lowered_or_shouted():
    rng = random.Random(11)
    outs = [perturb("Hello There Friend", rng, rate=0.0) for _ in range(2000)]
    shares = {kind: sum(map(test, outs)) / len(outs) for kind, test in [
        ("unchanged", lambda o: o == "Hello There Friend"), ("lower", str.islower), ("upper", str.isupper)]}
    assert shares["unchanged"] == pytest.approx(0.7, abs=0.04)
    assert shares["lower"] == pytest.approx(0.2, abs=0.04)
    assert shares["upper"] == pytest.approx(0.1, abs=0.03)


def test_every_slip_changes_the_word_by_one_edit():
    rng = random.Random(2)
    for word in ["cost", "Router", "aaa", "installation", "zzzz"]:
        for _ in range(300):
            out = typo(word, rng)
            assert out != word
            assert abs(len(out) - len(word)) <= 1


def test_keyboard_neighbours_are_adjacent_keys():
    assert set(NEIGHBOURS["a"]) == {"q", "w", "s", "z"}
    assert {"f", "h", "t", "y", "v", "b"} <= set(NEIGHBOURS["g"])
    assert all(key not in keys for key, keys in NEIGHBOURS.items())

"""`python -m candor.tradeoff`: the decision re-taken at each threshold, on hand-made search results."""

import pytest

from candor.evaluation import Question
from candor.tradeoff import curve, lowest_safe, main
from knowledge.calibration import Calibration
from knowledge.search import Hit, SearchResult

pytestmark = pytest.mark.unit

# top_similarity is the fourth feature; 0.9 clears any similarity floor used below.
FEATURES = [0.9, 0.5, 0.9, 0.9, 0.9]


def result(text, article, confidence, similarity=0.9):
    hit = Hit(article, "t", "cost", None, 0.9, "passage", "matched")
    features = [*FEATURES[:3], similarity, FEATURES[4]]
    return SearchResult(text, [hit], confidence, "unsure", features=features)


class FakeSearch:
    """Three questions: a right first hit at 0.8, a wrong one at 0.5, an out-of-scope one at 0.3."""

    calibration = Calibration(min_similarity=0.5)

    def __init__(self):
        self.results = {
            "how much is installation": result("how much is installation", "install-fee", 0.8),
            "what if nobody is home": result("what if nobody is home", "install-fee", 0.5),
            "do you sponsor football": result("do you sponsor football", "install-fee", 0.3),
        }
        self.calls = 0

    def search(self, query, k=5):
        self.calls += 1
        return self.results[query]


QUESTIONS = [
    Question("how much is installation", ("install-fee",)),
    Question("what if nobody is home", ("install-day",)),
    Question("do you sponsor football", (), escalate=True),
]


def test_each_threshold_answers_what_is_at_or_above_it_and_searches_once():
    search = FakeSearch()
    rows = {r["threshold"]: r for r in curve(search, QUESTIONS, thresholds=(0.2, 0.4, 0.6, 0.9))}
    assert search.calls == 3
    # 0.2: all three answered: 1 of 2 answerable right, 2 of 3 wrong.
    assert rows[0.2]["answer_accuracy"] == 0.5 and rows[0.2]["wrong_answer_rate"] == pytest.approx(0.6667)
    # 0.4: the out-of-scope one goes to a person.
    assert rows[0.4]["wrong_answer_rate"] == pytest.approx(0.3333) and rows[0.4]["escalation_recall"] == 1.0
    # 0.6: only the right answer is given; the wrong first hit is escalated (a false escalation).
    assert rows[0.6]["wrong_answer_rate"] == 0.0 and rows[0.6]["false_escalation_rate"] == 0.5
    # 0.9: nothing is answered.
    assert rows[0.9]["answer_accuracy"] == 0.0


def test_a_first_hit_below_the_similarity_floor_is_never_answered():
    search = FakeSearch()
    search.results["how much is installation"] = result("how much is installation", "install-fee", 0.99, 0.2)
    (row,) = curve(search, QUESTIONS[:1], thresholds=(0.1,))
    assert row["answer_accuracy"] == 0.0


def test_the_safe_operating_point_answers_most_within_the_wrong_answer_budget():
    rows = [
        {"threshold": 0.2, "answer_accuracy": 0.9, "wrong_answer_rate": 0.08},
        {"threshold": 0.5, "answer_accuracy": 0.7, "wrong_answer_rate": 0.02},
        {"threshold": 0.7, "answer_accuracy": 0.6, "wrong_answer_rate": 0.01},
    ]
    assert lowest_safe(rows)["threshold"] == 0.5
    assert lowest_safe(rows, max_wrong=0.001) is None


def test_held_out_questions_are_refused(tmp_path, capsys):
    held = tmp_path / "heldout" / "q.jsonl"
    held.parent.mkdir()
    held.write_text('{"text": "x", "expected": null}\n')
    assert main(["--kb", "kb.jsonl", "--questions", str(held)]) == 2
    assert "final reporting only" in capsys.readouterr().err

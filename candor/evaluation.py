"""``candor eval``: the bot's own search + routing decision, scored on labelled questions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.calibration import TOP_SIMILARITY
from knowledge.jsonl import read_file
from knowledge.search import Doc, KnowledgeSearch, doc_from_fields
from routing.policy import Router, Turn


@dataclass(frozen=True)
class Question:
    text: str
    expected: str | None


@dataclass(frozen=True)
class Outcome:
    expected: str | None
    ranked: list[str]
    escalated: bool
    seconds: float


def read_questions(path: Path) -> list[Question]:
    questions = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                questions.append(Question(str(raw["text"]), raw.get("expected")))
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise ValueError(f"{path} line {number}: expected {{\"text\", \"expected\"}} ({error})") from error
    return questions


def docs_from_file(path: Path) -> list[Doc]:
    """Published articles of a knowledge file, as the bot would index them."""
    return [doc_from_fields(a.fields()) for a in read_file(path) if a.status == "published"]


def run(
    search: KnowledgeSearch,
    router: Router,
    questions: Iterable[Question],
    progress: Callable[[], None] = lambda: None,
) -> list[Outcome]:
    outcomes = []
    for question in questions:
        started = time.perf_counter()
        result = search.search(question.text, k=10)
        decision = router.decide(Turn(search=result))
        elapsed = time.perf_counter() - started
        outcomes.append(
            Outcome(question.expected, [h.article_id for h in result.hits], decision.action != "answer", elapsed)
        )
        progress()
    return outcomes


def calibration_data(search: KnowledgeSearch, questions: list[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Ranking features per question and whether the first hit is the right answer."""
    vectors = search.embedder.encode([q.text for q in questions])
    features, correct = [], []
    for question, vector in zip(questions, vectors, strict=True):
        result = search.search_vector(question.text, vector, k=1)
        features.append(result.features)
        correct.append(question.expected is not None and result.best.article_id == question.expected)
    return np.array(features), np.array(correct, dtype=float)


def best_threshold(
    sets: list[tuple[np.ndarray, np.ndarray, np.ndarray]], calibration, max_false_escalation: float  # noqa: ANN001
) -> float:
    """The threshold maximising answer accuracy + escalation recall (averaged over the sets)
    while answerable questions are escalated no more than ``max_false_escalation`` on average.

    Each set is (features, first-hit-correct, answerable). The budget stands for the agent
    time a business is willing to spend on questions the bot could have answered.
    """
    confidences = [np.array([calibration.confidence(f) for f in s[0]]) for s in sets]
    close_enough = [s[0][:, TOP_SIMILARITY] >= calibration.min_similarity for s in sets]
    best, best_value = 0.5, -1.0
    for threshold in np.round(np.arange(0.05, 0.96, 0.01), 2):
        values, false_escalations = [], []
        for (_, correct, answerable), confidence, close in zip(sets, confidences, close_enough, strict=True):
            answered = (confidence >= threshold) & close
            accuracy = (answered & (correct > 0))[answerable].mean() if answerable.any() else 0.0
            recall = (~answered)[~answerable].mean() if (~answerable).any() else 0.0
            values.append(accuracy + recall)
            false_escalations.append((~answered)[answerable].mean() if answerable.any() else 0.0)
        if np.mean(false_escalations) <= max_false_escalation and np.mean(values) > best_value:
            best, best_value = float(threshold), float(np.mean(values))
    return best


def metrics(outcomes: list[Outcome]) -> dict[str, float | int]:
    answerable = [o for o in outcomes if o.expected is not None]
    unanswerable = [o for o in outcomes if o.expected is None]
    escalated = [o for o in outcomes if o.escalated]

    def rank(o: Outcome) -> int | None:
        return o.ranked.index(o.expected) + 1 if o.expected in o.ranked else None

    def share(items: list, test: Callable[[Outcome], bool]) -> float:
        return round(sum(map(test, items)) / len(items), 4) if items else 0.0

    latencies_ms = np.array([o.seconds * 1000 for o in outcomes]) if outcomes else np.zeros(1)
    return {
        "n": len(outcomes),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "answer_accuracy": share(answerable, lambda o: not o.escalated and rank(o) == 1),
        "top1_accuracy": share(answerable, lambda o: rank(o) == 1),
        "recall_at_3": share(answerable, lambda o: (rank(o) or 99) <= 3),
        "mrr": round(float(np.mean([1 / r if (r := rank(o)) else 0.0 for o in answerable])), 4)
        if answerable else 0.0,
        "false_escalation_rate": share(answerable, lambda o: o.escalated),
        "escalation_recall": share(unanswerable, lambda o: o.escalated),
        "escalation_precision": share(escalated, lambda o: o.expected is None),
        "p50_ms": round(float(np.percentile(latencies_ms, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies_ms, 95)), 2),
    }

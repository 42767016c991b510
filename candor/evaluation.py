"""``candor eval``: labelled questions scored on what the customer was given, in-process (the bot's
own search + routing decision) or through the running bot (candor.eval_bot)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge.calibration import TOP_SIMILARITY, Calibration
from knowledge.jsonl import read_file
from knowledge.search import Doc, KnowledgeSearch, SearchResult, doc_from_fields
from routing.policy import Router, Turn
from touchpoints.sentiment import sentiment

FORMAT = '{"text", "expected": id | [ids] | null, "escalate"?: true|false}'


@dataclass(frozen=True)
class Question:
    text: str
    expected: tuple[str, ...] = ()  # any of these answers it; empty: nothing in the KB does
    escalate: bool = False          # the right outcome involves a person (complaint, request, no article)

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


@dataclass(frozen=True)
class Outcome:
    """What one question got: an article given as an answer, a person, or both."""

    question: Question
    answered_with: str | None        # the article the customer was given as an answer
    escalated: bool                  # queued to a person, or offered one instead of an answer
    ranked: list[str]                # search ranking when known, else [answered_with] or []
    seconds: float
    explain: dict[str, Any] = field(default_factory=dict)  # what the bot saw, for --explain
    suggested: tuple[str, ...] = ()  # articles offered to choose from ("Is it one of these?")
    after_choice: str | None = None  # the article answered once the customer chose a suggestion

    @property
    def right_answer(self) -> bool:
        q = self.question
        return self.answered_with in q.expected and (not self.escalated or q.escalate)

    @property
    def right_after_choice(self) -> bool:
        """No answer at first, the right one after choosing among the suggestions (one click more)."""
        q = self.question
        return not self.right_answer and not q.escalate and self.after_choice in q.expected

    @property
    def wrong_answer(self) -> bool:
        """A confident answer from an article that does not answer the question. An article shown
        to a customer rightly queued for a person ("please cancel my account" → how-to-cancel, to
        read while waiting) misleads nobody: a person is about to answer."""
        q = self.question
        rightly_queued = self.escalated and q.escalate
        return self.answered_with is not None and self.answered_with not in q.expected and not rightly_queued

    @property
    def rank(self) -> int | None:
        """1-based position of the first acceptable article in the ranking."""
        return next((i for i, a in enumerate(self.ranked, 1) if a in self.question.expected), None)


def read_questions(path: Path) -> list[Question]:
    """Questions of a JSON Lines file; ValueError naming the line for anything malformed."""
    questions = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                questions.append(parse_question(json.loads(line)))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{path} line {number}: expected {FORMAT} ({error})") from error
    return questions


def parse_question(raw: Any) -> Question:
    if not isinstance(raw, dict):
        raise TypeError(f"a JSON object, not {type(raw).__name__}")
    text = raw["text"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string")
    expected = raw.get("expected")
    if expected is None:
        ids: tuple[str, ...] = ()
    elif isinstance(expected, str) and expected:
        ids = (expected,)
    elif isinstance(expected, list) and all(isinstance(e, str) and e for e in expected):
        ids = tuple(expected)
    else:
        raise ValueError("expected must be an article id, a list of ids or null")
    escalate = raw.get("escalate", not ids)
    if not isinstance(escalate, bool):
        raise ValueError("escalate must be true or false")
    return Question(text, ids, escalate)


def docs_from_file(path: Path) -> list[Doc]:
    """Published articles of a knowledge file, as the bot would index them."""
    return [doc_from_fields(a.fields()) for a in read_file(path) if a.status == "published"]


class Searcher(Protocol):
    """What run() asks of a search: KnowledgeSearch, or results computed up front."""

    def search(self, query: str, k: int = 5) -> SearchResult: ...


def run(
    search: Searcher,
    router: Router,
    questions: Iterable[Question],
    progress: Callable[[], None] = lambda: None,
) -> list[Outcome]:
    """Each question through search + routing as the answer action takes them: the text (topics a
    person handles, phrasing) and its sentiment included, the NLU intent left out (only Rasa knows
    it: `--through-bot` measures that part)."""
    outcomes = []
    for question in questions:
        started = time.perf_counter()
        result = search.search(question.text, k=10)
        decision = router.decide(Turn(search=result, text=question.text, sentiment=sentiment(question.text)))
        elapsed = time.perf_counter() - started
        best = result.best.article_id if result.best else None
        sure = result.sure
        # The answer action gives a sure article even when it offers or queues a person too.
        if decision.action == "answer":
            answered_with, escalated = best, False
        elif decision.action == "offer":
            answered_with, escalated = (best if sure else None), not sure
        elif decision.action == "escalate":
            answered_with, escalated = (best if sure else None), True
        else:  # small talk: the intent's own reply, neither an article nor a person
            answered_with, escalated = None, False
        explain = {
            "action": decision.action, "reasons": decision.reasons, "confidence": round(result.confidence, 4),
            "sure": sure, "considered": [h.article_id for h in result.hits[:3]],
        }
        normalized = getattr(result, "normalized", None)  # the query as searched, after spelling fixes
        if normalized and normalized != question.text:
            explain["searched_as"] = normalized
        suggested = decision.suggestions if decision.action == "offer" else ()   # shown with an offer only
        outcomes.append(Outcome(question, answered_with, escalated, [h.article_id for h in result.hits],
                                elapsed, explain, suggested, choose(question, suggested)))
        progress()
    return outcomes


def choose(question: Question, suggested: tuple[str, ...]) -> str | None:
    """The suggestion a customer who knows what they asked would click: the one that answers it;
    none when a person is what they need or no suggestion fits ("Talk to a person" instead)."""
    if question.escalate:
        return None
    return next((article for article in suggested if article in question.expected), None)


def calibration_data(search: KnowledgeSearch, questions: list[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Ranking features per question and whether the first hit is an acceptable answer."""
    # Embedded as the bot searches them (spelling mended), so the features match what it will see.
    normalized = [search.normalize(q.text) for q in questions]
    vectors = search.embedder.encode(normalized)
    features, correct = [], []
    for question, text, vector in zip(questions, normalized, vectors, strict=True):
        result = search.search_vector(question.text, vector, k=1, normalized=text)
        features.append(result.features)
        correct.append(result.best is not None and result.best.article_id in question.expected)
    return np.array(features), np.array(correct, dtype=float)


def best_threshold(
    sets: list[tuple[np.ndarray, np.ndarray, np.ndarray]], calibration: Calibration, max_false_escalation: float
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
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    answer_expected = [o for o in answerable if not o.question.escalate]
    should_escalate = [o for o in outcomes if o.question.escalate]
    escalated = [o for o in outcomes if o.escalated]

    def share(items: list[Outcome], test: Callable[[Outcome], bool]) -> float:
        return round(sum(map(test, items)) / len(items), 4) if items else 0.0

    latencies_ms = np.array([o.seconds * 1000 for o in outcomes]) if outcomes else np.zeros(1)
    return {
        "n": len(outcomes),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "n_escalate": len(should_escalate),
        "answer_accuracy": share(answerable, lambda o: o.right_answer),
        "top1_accuracy": share(answerable, lambda o: o.rank == 1),
        "recall_at_3": share(answerable, lambda o: (o.rank or 99) <= 3),
        "mrr": round(float(np.mean([1 / r if (r := o.rank) else 0.0 for o in answerable])), 4)
        if answerable else 0.0,
        "false_escalation_rate": share(answer_expected, lambda o: o.escalated),
        "escalation_recall": share(should_escalate, lambda o: o.escalated),
        "escalation_precision": share(escalated, lambda o: o.question.escalate),
        "wrong_answer_rate": share(outcomes, lambda o: o.wrong_answer),
        # With the suggestions: the right article at once or after one click on "Is it one of these?".
        "suggested_rate": share(outcomes, lambda o: bool(o.suggested)),
        "answer_accuracy_with_choice": share(answerable, lambda o: o.right_answer or o.right_after_choice),
        "false_escalation_with_choice": share(answer_expected, lambda o: o.escalated and not o.right_after_choice),
        "p50_ms": round(float(np.percentile(latencies_ms, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies_ms, 95)), 2),
    }


def misses(outcome: Outcome) -> list[str]:
    """How an outcome went wrong, in words (empty when it went right)."""
    q, found = outcome.question, []
    if outcome.wrong_answer:
        found.append("wrong answer")
    if outcome.right_after_choice:
        found.append("answered after one choice")   # right, a click later than a sure answer
    elif q.answerable and not q.escalate and outcome.escalated:
        found.append("false escalation")
    if q.escalate and not outcome.escalated:
        found.append("missed escalation")
    if q.answerable and not found and not outcome.right_answer:
        found.append("not answered")  # neither an article nor a person: a greeting, chit-chat…
    return found

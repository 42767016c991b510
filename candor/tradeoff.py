"""The operating point's price: answer accuracy vs wrong answers vs false escalations by threshold.

    .venv/bin/python -m candor.tradeoff --kb KB.jsonl --questions Q.jsonl [--perturb SEED] [--json]

Each question is searched once (as ``candor eval`` does, the shipped calibration's confidence
included); then, for every threshold, the answer/unsure decision is taken again from that
confidence and the router decides as the answer action would. So the table shows what moving
``threshold`` in knowledge/calibration.yml would do, search + routing, without re-running search.
A lower threshold answers more (accuracy up, wrong answers up); a higher one hands more to people.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from candor.evaluation import Question, docs_from_file, metrics, read_questions, run
from knowledge.calibration import TOP_SIMILARITY, Calibration, load_calibration
from knowledge.search import KnowledgeSearch, SearchResult
from routing.policy import Router

THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.1, 0.96, 0.05), 2))
MAX_WRONG = 0.02  # issue 13's target: a confident wrong answer is the worst outcome


class _Decided:
    """Search results computed once, with the answer/unsure decision re-taken at one threshold."""

    def __init__(self, results: dict[str, SearchResult], calibration: Calibration, threshold: float) -> None:
        self.results, self.calibration, self.threshold = results, calibration, threshold

    def search(self, query: str, k: int = 5) -> SearchResult:
        result = self.results[query]
        close = bool(result.features) and result.features[TOP_SIMILARITY] >= self.calibration.min_similarity
        sure = result.confidence >= self.threshold and close
        return dataclasses.replace(result, decision="answer" if sure else "unsure")


def curve(search: KnowledgeSearch, questions: list[Question], thresholds: tuple[float, ...] = THRESHOLDS,
          router: Router | None = None) -> list[dict[str, Any]]:
    """Figures of search + routing at each threshold (one search per question)."""
    router = router or Router()
    results = {q.text: search.search(q.text, k=10) for q in dict.fromkeys(questions)}
    rows = []
    for threshold in thresholds:
        outcome = metrics(run(_Decided(results, search.calibration, threshold), router, questions))
        rows.append({"threshold": threshold, **{k: outcome[k] for k in (
            "answer_accuracy", "wrong_answer_rate", "false_escalation_rate", "escalation_recall",
            "answer_accuracy_with_choice", "false_escalation_with_choice")}})
    return rows


def lowest_safe(rows: list[dict[str, Any]], max_wrong: float = MAX_WRONG) -> dict[str, Any] | None:
    """The row answering most while wrong answers stay within ``max_wrong`` (None if none does)."""
    safe = [r for r in rows if r["wrong_answer_rate"] <= max_wrong]
    return max(safe, key=lambda r: (r["answer_accuracy"], -r["threshold"])) if safe else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m candor.tradeoff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--perturb", type=int, default=None, help="Score a seeded typo copy instead.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if "heldout" in args.questions.resolve().parts:
        print("Held-out data is for final reporting only; choose the operating point on development data.",
              file=sys.stderr)
        return 2
    from candor.perturb import perturb_questions
    from candor.settings import get_settings
    from knowledge.embedder import Embedder

    try:
        questions = read_questions(args.questions)
        docs = docs_from_file(args.kb)
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.perturb is not None:
        questions = perturb_questions(questions, args.perturb)
    settings = get_settings()
    calibration = load_calibration(settings.calibration_file)
    search = KnowledgeSearch(Embedder.in_cache_dir(settings.cache_dir, settings.embedding_model), calibration)
    search.upsert(docs)
    rows = curve(search, questions, tuple(sorted({*THRESHOLDS, calibration.threshold})))
    safe = lowest_safe(rows)
    if args.json:
        print(json.dumps({"shipped_threshold": calibration.threshold, "rows": rows, "lowest_safe": safe}))
        return 0
    print(f"{args.questions.name} against {args.kb.name}"
          + (f", typos (seed {args.perturb})" if args.perturb is not None else "")
          + f"; shipped threshold {calibration.threshold}")
    print("| threshold | answer acc. | wrong answers | false escal. | escal. recall "
          "| answer acc. within one choice | false escal. after choosing |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        mark = " (shipped)" if abs(r["threshold"] - calibration.threshold) < 1e-9 else ""
        print(f"| {r['threshold']:.2f}{mark} | {r['answer_accuracy']:.3f} | {r['wrong_answer_rate']:.3f} | "
              f"{r['false_escalation_rate']:.3f} | {r['escalation_recall']:.3f} | "
              f"{r['answer_accuracy_with_choice']:.3f} | {r['false_escalation_with_choice']:.3f} |")
    print(f"wrong answers ≤ {MAX_WRONG:.0%}: " + (
        f"from threshold {safe['threshold']:.2f}, answer accuracy {safe['answer_accuracy']:.3f}" if safe
        else "at no threshold in the sweep"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

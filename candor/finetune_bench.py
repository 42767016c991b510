"""Does fine-tuning MiniLM on a KB's own example questions beat the frozen encoder?

    .venv/bin/python -m candor.finetune_bench [--sample 600] [--max-pairs 3000] [--sets clinc150 ...]

For each set the same KnowledgeSearch is built twice, once with the frozen encoder and once
with MiniLM fine-tuned (knowledge.finetune) on the KB's articles only — never on the
questions scored here. Reported: ranking (top1, recall@3: calibration-free), the answer
decision at the shipped calibration (fitted on frozen-encoder features, so it favours the
frozen encoder), how well confidence separates in-scope from out-of-scope questions (AUROC),
the best threshold of a sweep run on the scored questions themselves (an oracle, the same for
both encoders), and training time. Dev sets are sampled (seeded, out-of-scope proportionally).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from candor.evaluation import Question, docs_from_file, metrics, read_questions
from knowledge.calibration import TOP_SIMILARITY, load_calibration
from knowledge.embedder import Embedder, EmbeddingCache
from knowledge.finetune import DEFAULT_CACHE, FinetunedEmbedder, base_model_path, finetune
from knowledge.search import Doc, KnowledgeSearch, SearchResult

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SETS = {
    "clinc150": (DATA / "clinc150" / "kb.jsonl", DATA / "clinc150" / "dev-questions.jsonl"),
    "banking77-oos": (DATA / "banking77-oos" / "kb.jsonl", DATA / "banking77-oos" / "dev-questions.jsonl"),
    "sample-kb/customer-voice": (ROOT / "knowledge" / "sample_kb.jsonl",
                                 ROOT / "knowledge" / "eval" / "customer_voice.jsonl"),
}
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def sample(questions: list[Question], n: int, seed: int) -> list[Question]:
    """``n`` questions, in-scope and out-of-scope in their original proportions."""
    if n <= 0 or n >= len(questions):
        return questions
    rng = random.Random(seed)
    oos = [q for q in questions if not q.answerable]
    ins = [q for q in questions if q.answerable]
    n_oos = round(n * len(oos) / len(questions))
    return rng.sample(ins, n - n_oos) + rng.sample(oos, n_oos)


class _Answered:
    """Search results computed up front (queries batch-encoded), served to evaluation.run."""

    def __init__(self, results: dict[str, SearchResult]) -> None:
        self.results = results

    def search(self, query: str, k: int = 5) -> SearchResult:
        return self.results[query]


def auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    if not len(positive) or not len(negative):
        return float("nan")
    above, tied = positive[:, None] > negative[None, :], positive[:, None] == negative[None, :]
    return float(above.mean() + 0.5 * tied.mean())


def score_encoder(embedder: Embedder, docs: list[Doc], questions: list[Question]) -> dict[str, Any]:
    calibration = load_calibration()
    search = KnowledgeSearch(embedder, calibration)
    started = time.perf_counter()
    search.upsert(docs)
    search.prepare()
    normalized = [search.normalize(q.text) for q in questions]
    vectors = embedder.encode_transient(normalized)
    listed = [search.search_vector(q.text, v, 10, n) for q, v, n in zip(questions, vectors, normalized, strict=True)]
    results = {q.text: r for q, r in zip(questions, listed, strict=True)}
    try:
        from candor.evaluation import run
        from routing.policy import Router

        out: dict[str, Any] = metrics(run(_Answered(results), Router(), questions))
    except Exception as error:  # routing is being edited elsewhere; report without it
        print(f"  routing unavailable ({error}); decisions from search alone", file=sys.stderr)
        out = {}
    answerable = np.array([q.answerable for q in questions])
    pairs = list(zip(questions, listed, strict=True))
    correct = np.array([bool(r.hits) and r.hits[0].article_id in q.expected for q, r in pairs])
    ranks = [next((i for i, h in enumerate(r.hits, 1) if h.article_id in q.expected), None) for q, r in pairs]
    confidence = np.array([r.confidence for r in listed])
    close = np.array([r.features[TOP_SIMILARITY] >= calibration.min_similarity for r in listed])
    sure = np.array([r.sure for r in listed])
    out.update({
        "top1_accuracy": round(float(correct[answerable].mean()), 4),
        "recall_at_3": round(float(np.mean([(r or 99) <= 3 for r, a in zip(ranks, answerable, strict=True) if a])), 4),
        "search_answer_accuracy": round(float((sure & correct)[answerable].mean()), 4),
        "search_wrong_answer_rate": round(float((sure & ~correct).mean()), 4),
        "oos_auroc": round(auroc(confidence[answerable], confidence[~answerable]), 4),
        "seconds": round(time.perf_counter() - started, 1),
    })
    sweep = []
    for t in THRESHOLDS:
        answered = (confidence >= t) & close
        accuracy = float((answered & correct)[answerable].mean())
        recall = float((~answered)[~answerable].mean()) if (~answerable).any() else float("nan")
        sweep.append({"threshold": float(t), "answer_accuracy": round(accuracy, 4),
                      "wrong_answer_rate": round(float((answered & ~correct).mean()), 4),
                      "escalation_recall": round(recall, 4)})
    out["sweep"] = sweep
    out["oracle"] = max(sweep, key=lambda s: s["answer_accuracy"] + np.nan_to_num(s["escalation_recall"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument("--sample", type=int, default=600, help="questions per dev set (0: all)")
    parser.add_argument("--max-pairs", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_CACHE / "bench.json")
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    DEFAULT_CACHE.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "sets": {}}
    for name in args.sets:
        kb, questions_file = SETS[name]
        if not kb.exists() or not questions_file.exists():
            print(f"{name}: skipped, {kb} or {questions_file} missing")
            continue
        docs = docs_from_file(kb)
        questions = read_questions(questions_file)
        if name != "sample-kb/customer-voice":
            questions = sample(questions, args.sample, args.seed)
        print(f"{name}: {len(docs)} articles, {len(questions)} questions", flush=True)
        cache = DEFAULT_CACHE / "embeddings.sqlite"
        frozen = score_encoder(Embedder(EmbeddingCache(cache, "all-MiniLM-L6-v2")), docs, questions)
        print(f"  frozen: top1 {frozen['top1_accuracy']} r@3 {frozen['recall_at_3']}", flush=True)
        started = time.perf_counter()
        path = finetune(base_model_path(), docs, epochs=args.epochs, seed=args.seed, max_pairs=args.max_pairs,
                        log=lambda line: print("  " + line, flush=True))
        meta = json.loads((path / "finetune.json").read_text())
        tuned = score_encoder(FinetunedEmbedder(path, EmbeddingCache(cache, f"finetuned:{path.name}")), docs, questions)
        tuned["train_seconds"] = meta["seconds"]
        tuned["train_steps"], tuned["train_pairs"] = meta["steps"], meta["pairs"]
        tuned["cached_model"] = time.perf_counter() - started < meta["seconds"]
        print(f"  fine-tuned: top1 {tuned['top1_accuracy']} r@3 {tuned['recall_at_3']} "
              f"(trained {meta['seconds']} s, {meta['steps']} steps)", flush=True)
        report["sets"][name] = {"n_questions": len(questions), "frozen": frozen, "finetuned": tuned}
        args.out.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nfull report: {args.out}")
    return 0


def print_table(report: dict[str, Any]) -> None:
    keys = ["top1_accuracy", "recall_at_3", "answer_accuracy", "wrong_answer_rate", "false_escalation_rate",
            "escalation_recall", "search_answer_accuracy", "search_wrong_answer_rate", "oos_auroc"]
    print("\n| set | encoder | " + " | ".join(keys) + " | oracle t: acc / wrong / esc.recall | train s |")
    print("|---" * (len(keys) + 4) + "|")
    for name, entry in report["sets"].items():
        for label in ("frozen", "finetuned"):
            r = entry[label]
            o = r["oracle"]
            cells = [str(r.get(k, "–")) for k in keys]
            print(f"| {name} | {label} | " + " | ".join(cells)
                  + f" | {o['threshold']}: {o['answer_accuracy']} / {o['wrong_answer_rate']} / {o['escalation_recall']}"
                  + f" | {r.get('train_seconds', '')} |")


if __name__ == "__main__":
    raise SystemExit(main())

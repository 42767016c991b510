"""Vector indexes over normalised embeddings: FAISS for serving, numpy brute force as baseline."""

from __future__ import annotations

from typing import Protocol

import faiss
import numpy as np

# Queries arrive one at a time; on these 2-core machines OpenMP threads fight the web app,
# Rasa and the model for cores, making a single search ~3x slower (candor bench search).
faiss.omp_set_num_threads(1)


class VectorIndex(Protocol):
    """Inner-product search over vectors with caller-chosen integer ids."""

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids), each shaped (len(queries), k); missing slots have id -1."""
        ...

    def __len__(self) -> int: ...


class FaissIndex:
    """Exact inner product (cosine on normalised vectors) with ids that can be removed."""

    def __init__(self, dim: int) -> None:
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            # faiss's Python wrapper takes an id array on every index; its stubs give IndexIDMap2 only the
            # IDSelector overload of the C++ method.
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        return self._index.search(queries, min(k, max(len(self), 1)))

    def __len__(self) -> int:
        return self._index.ntotal


class NumpyIndex:
    """Brute-force matrix product; the baseline benchmarks compare FAISS against."""

    def __init__(self, dim: int) -> None:
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, dim), dtype=np.float32)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._ids = np.concatenate([self._ids, ids.astype(np.int64)])
        self._vectors = np.vstack([self._vectors, vectors.astype(np.float32)])

    def remove(self, ids: np.ndarray) -> None:
        keep = ~np.isin(self._ids, ids)
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(queries).astype(np.float32)
        k = min(k, max(len(self), 1))
        if not len(self):
            return np.zeros((len(queries), k), np.float32), -np.ones((len(queries), k), np.int64)
        scores = queries @ self._vectors.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1)
        return np.take_along_axis(top_scores, order, 1), self._ids[np.take_along_axis(top, order, 1)]

    def __len__(self) -> int:
        return len(self._ids)

"""Vector indexes over normalised embeddings: FAISS for serving (exact while small, inverted lists
once large), numpy brute force as the baseline."""

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


class _FaissIds:
    """Adding, removing and searching by caller-chosen ids, shared by the FAISS indexes below."""

    _index: faiss.IndexIDMap2 | faiss.IndexIVFFlat

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            # faiss's Python wrapper takes an id array on every index; its stubs give these indexes only
            # the IDSelector overload of the C++ method.
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        return self._index.search(queries, min(k, max(len(self), 1)))

    def __len__(self) -> int:
        return int(self._index.ntotal)


class FaissIndex(_FaissIds):
    """Exact inner product (cosine on normalised vectors) with ids that can be removed."""

    _index: faiss.IndexIDMap2

    def __init__(self, dim: int) -> None:
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _all(index: faiss.IndexIDMap2) -> tuple[np.ndarray, np.ndarray]:
    """Every (id, vector) an exact index holds, to rebuild it as another kind."""
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    vectors = np.vstack([index.reconstruct(int(i)) for i in ids]) if len(ids) else np.zeros((0, index.d), np.float32)
    return ids, vectors


class IvfIndex(_FaissIds):
    """Approximate inner product over inverted lists (IVF-Flat): a query scans the `nprobe` lists
    whose centroids are nearest, not every vector. Trained on the vectors it is built from; ids can
    be removed (HNSW, the other common choice, cannot remove)."""

    _index: faiss.IndexIVFFlat
    # Lists probed per query: a fixed fraction of them, never fewer than this many (or all of them
    # in a small index, which makes it exact). `candor bench search` measures the recall it buys.
    MIN_PROBES = 32
    PROBE_FRACTION = 1 / 32

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        # About 4·√n lists, but at least 39 training points per list (faiss's own floor for k-means).
        nlist = max(1, min(int(4 * np.sqrt(len(vectors))), len(vectors) // 39))
        self._quantizer = faiss.IndexFlatIP(dim)  # kept referenced: the IVF index does not own it
        self._index = faiss.IndexIVFFlat(self._quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        # k-means on 64 points per list: training is most of the build time, and more points
        # did not move recall in `candor bench search`.
        sample = vectors if len(vectors) <= 64 * nlist else vectors[
            np.random.default_rng(0).choice(len(vectors), 64 * nlist, replace=False)]
        self._index.cp.niter = 10  # faiss's default 25 k-means rounds tripled the build for no recall
        self._index.train(sample)
        self._index.nprobe = min(nlist, max(self.MIN_PROBES, int(nlist * self.PROBE_FRACTION)))
        self.trained_on = len(vectors)
        self.add(ids, vectors)

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (id, vector) held, to retrain on them."""
        invlists = self._index.invlists
        assert invlists is not None  # an IVF index always has its lists
        ids, vectors = [], []
        for listno in range(self._index.nlist):
            size = invlists.list_size(listno)
            if not size:
                continue
            ids.append(faiss.rev_swig_ptr(invlists.get_ids(listno), size).copy())
            codes = faiss.rev_swig_ptr(invlists.get_codes(listno), size * invlists.code_size)
            vectors.append(np.frombuffer(codes.tobytes(), dtype=np.float32).reshape(size, self._index.d))
        if not ids:
            return np.zeros(0, np.int64), np.zeros((0, self._index.d), np.float32)
        return np.concatenate(ids).astype(np.int64), np.vstack(vectors)


class AdaptiveIndex:
    """Exact search while the knowledge base is small (every sample and customer KB here), inverted
    lists once it holds more than `threshold` vectors: at 100k articles an exact query scans 300k
    vectors (tens of ms), a probed one ~1/32 of them. Retrained whenever it has grown fourfold since
    the last training, so its lists stay balanced as articles are added."""

    THRESHOLD = 30_000

    def __init__(self, dim: int, threshold: int = THRESHOLD) -> None:
        self.dim, self.threshold = dim, threshold
        self._index: FaissIndex | IvfIndex = FaissIndex(dim)

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, IvfIndex)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._index.add(ids, vectors)
        if isinstance(self._index, FaissIndex):
            if len(self._index) > self.threshold:
                self._index = IvfIndex(*_all(self._index._index))
        elif len(self._index) > 4 * self._index.trained_on:
            self._index = IvfIndex(*self._index.vectors())

    def remove(self, ids: np.ndarray) -> None:
        self._index.remove(ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._index.search(queries, k)

    def __len__(self) -> int:
        return len(self._index)


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

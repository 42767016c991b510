"""One contract every vector index implementation must meet."""

import numpy as np
import pytest

from knowledge.index import FaissIndex, NumpyIndex

pytestmark = pytest.mark.unit


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class IndexContract:
    make = None

    def test_finds_each_vector_first(self):
        index, vectors = self.make(16), unit_vectors(50)
        index.add(np.arange(100, 150), vectors)
        scores, ids = index.search(vectors, 3)
        assert ids[:, 0].tolist() == list(range(100, 150))
        assert np.allclose(scores[:, 0], 1.0, atol=1e-5)
        assert (np.diff(scores, axis=1) <= 1e-6).all()

    def test_removed_ids_never_come_back(self):
        index, vectors = self.make(16), unit_vectors(20)
        index.add(np.arange(20), vectors)
        index.remove(np.array([3, 7]))
        assert len(index) == 18
        _, ids = index.search(vectors, 20)
        assert not np.isin(ids, [3, 7]).any()

    def test_agrees_with_exact_cosine(self):
        index, vectors, queries = self.make(16), unit_vectors(200), unit_vectors(5, seed=1)
        index.add(np.arange(200), vectors)
        _, ids = index.search(queries, 5)
        expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :5]
        assert ids.tolist() == expected.tolist()

    def test_k_larger_than_the_index(self):
        index = self.make(16)
        index.add(np.arange(2), unit_vectors(2))
        scores, ids = index.search(unit_vectors(1), 10)
        assert ids.shape[1] == 2


class TestFaissIndex(IndexContract):
    make = staticmethod(FaissIndex)


class TestNumpyIndex(IndexContract):
    make = staticmethod(NumpyIndex)

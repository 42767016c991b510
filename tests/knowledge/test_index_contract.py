"""One contract every vector index implementation must meet."""

import numpy as np
import pytest

from knowledge.index import AdaptiveIndex, FaissIndex, IvfIndex, NumpyIndex

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


class TestAdaptiveIndexOnceApproximate(IndexContract):
    # A threshold below every test's size: the contract holds on the inverted lists too (a small
    # index probes all of its lists, so it is exact).
    make = staticmethod(lambda dim: AdaptiveIndex(dim, threshold=1))


def test_the_adaptive_index_switches_to_inverted_lists_above_its_threshold_and_keeps_every_id():
    vectors = unit_vectors(3000)
    index = AdaptiveIndex(16, threshold=1000)
    index.add(np.arange(1000), vectors[:1000])
    assert not index.approximate
    index.add(np.arange(1000, 3000), vectors[1000:])
    assert index.approximate and len(index) == 3000
    _, ids = index.search(vectors[:50], 1)
    assert ids[:, 0].tolist() == list(range(50))


def test_it_retrains_after_growing_fourfold_without_losing_a_vector():
    vectors = unit_vectors(6000)
    index = AdaptiveIndex(16, threshold=1000)
    index.add(np.arange(1200), vectors[:1200])
    first = index._index
    index.add(np.arange(1200, 6000), vectors[1200:])
    assert index._index is not first and len(index) == 6000
    ids, held = index._index.vectors()
    assert np.allclose(held[np.argsort(ids)], vectors)


def test_ivf_finds_a_knowledge_base_s_neighbours_like_exact_search():
    from candor.bench import recall_at, synthetic_queries, synthetic_units

    units = synthetic_units(4000)          # 12,000 vectors in topics, as `candor bench search` builds
    queries = synthetic_queries(units, 100)
    exact, approximate = FaissIndex(units.shape[1]), IvfIndex(np.arange(len(units)), units)
    exact.add(np.arange(len(units)), units)
    assert approximate._index.nprobe < approximate._index.nlist   # really approximate
    assert recall_at(approximate.search(queries, 10)[1], exact.search(queries, 10)[1]) >= 0.99


def test_recall_arithmetic():
    from candor.bench import recall_at

    found = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    exact = np.array([[1, 2, 9, 9], [8, 7, 6, 5]])
    assert recall_at(found, exact, k=4) == pytest.approx((2 / 4 + 4 / 4) / 2)
    assert recall_at(found, found, k=2) == 1.0

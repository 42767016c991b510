"""Content gaps: questions the bot could not answer, grouped by meaning, one representative each.

Two ways to the same groups: ``cluster_questions`` groups a list at once (average linkage), and
``Groups`` takes questions one at a time, joining the group whose mean is nearest within the same
distance (for one question against a group, average linkage *is* the distance to the group's
mean vector), so stored gaps (touchpoints.gap_store) grow without re-reading old questions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

# Cosine distance under which groups count as the same need (average linkage). Chosen on the
# seeded development set in tests/touchpoints/test_gaps.py: MiniLM puts paraphrases of one need
# 0.1-0.63 apart and different needs 0.69 or more on average.
DISTANCE = 0.6
DIM = 384


@dataclass
class Gap:
    representative: str     # the question closest to all others in its group
    questions: list[str]
    size: int


def labels(vectors: np.ndarray, distance: float = DISTANCE) -> list[int]:
    """Average-linkage groups of normalised vectors (quadratic memory: callers bound the count)."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    found = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                    distance_threshold=distance).fit_predict(vectors)
    return [int(label) for label in found]


def cluster_questions(questions: list[str], encode: Callable[[list[str]], np.ndarray],
                      distance: float = DISTANCE) -> list[Gap]:
    """Deterministic: the same questions (in any order) give the same groups, largest first."""
    unique = sorted({q.strip() for q in questions if q and q.strip()})
    counts = {q: 0 for q in unique}
    for q in questions:
        if q and q.strip():
            counts[q.strip()] += 1
    if not unique:
        return []
    vectors = np.asarray(encode(unique), dtype=np.float32)
    found = labels(vectors, distance)
    gaps = []
    for label in sorted(set(found)):
        members = [i for i, lab in enumerate(found) if lab == label]
        block = vectors[members]
        centre = nearest_the_centre((block @ block.T).sum(axis=1))
        texts = [unique[i] for i in members]
        gaps.append(Gap(texts[centre], texts, sum(counts[t] for t in texts)))
    return sorted(gaps, key=lambda g: (-g.size, g.representative))


# Scores this close are a tie (a group of two always is one): float noise, which differs between a
# batch and one question at a time, must not decide which wording represents the group.
TIE = 1e-4


def nearest_the_centre(scores: np.ndarray) -> int:
    """The first (in the caller's order: alphabetical) of the positions tied for the highest score."""
    return int(np.flatnonzero(scores >= scores.max() - TIE)[0])


def pack(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


class Groups:
    """Groups as running vector sums: ``add`` puts a vector in the group whose mean is nearest
    within ``distance``, or in a new group; returns the group's index."""

    def __init__(self, sums: list[np.ndarray], members: list[int], distance: float = DISTANCE) -> None:
        self.distance = distance
        self.sums = np.asarray(sums, dtype=np.float64).reshape(len(sums), DIM)
        self.members = np.asarray(members, dtype=np.float64)

    def nearest(self, vector: np.ndarray) -> tuple[int | None, float]:
        """The group to join and its distance (None: none within the distance)."""
        if not len(self.members):
            return None, 2.0
        distances = 1.0 - (self.sums @ vector) / np.maximum(self.members, 1.0)
        best = int(np.argmin(distances))
        return (best if distances[best] <= self.distance else None), float(distances[best])

    def add(self, vector: np.ndarray) -> int:
        index, _ = self.nearest(vector)
        if index is None:
            self.sums = np.vstack([self.sums, np.zeros((1, DIM))])
            self.members = np.append(self.members, 0.0)
            index = len(self.members) - 1
        self.sums[index] += vector
        self.members[index] += 1
        return index

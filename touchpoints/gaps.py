"""Content gaps: questions the bot could not answer, grouped by meaning, one representative each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

# Cosine distance under which groups count as the same need (average linkage). Chosen on the
# seeded development set in tests/touchpoints/test_gaps.py: MiniLM puts paraphrases of one need
# 0.1-0.63 apart and different needs 0.69 or more on average.
DISTANCE = 0.6


@dataclass
class Gap:
    representative: str     # the question closest to all others in its group
    questions: list[str]
    size: int


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
    if len(unique) == 1:
        return [Gap(unique[0], unique, counts[unique[0]])]
    vectors = np.asarray(encode(unique), dtype=np.float32)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance,
    ).fit_predict(vectors)
    gaps = []
    for label in sorted(set(labels)):
        members = [i for i, lab in enumerate(labels) if lab == label]
        block = vectors[members]
        centre = int(np.argmax((block @ block.T).sum(axis=1)))
        texts = [unique[i] for i in members]
        gaps.append(Gap(texts[centre], texts, sum(counts[t] for t in texts)))
    return sorted(gaps, key=lambda g: (-g.size, g.representative))

"""Confidence that the first article answers the question, and the answer/unsure threshold.

A logistic model over standardised ranking features (``knowledge.scoring.FEATURES``), fitted
by ``candor calibrate`` on labelled questions — for the shipped default, the development
sets in ../shared/data only. Businesses can fit their own on questions about their KB.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import yaml

from knowledge.scoring import FEATURES

TOP_SIMILARITY = FEATURES.index("top_similarity")

DEFAULT_CALIBRATION = Path(__file__).with_name("calibration.yml")


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    means: tuple[float, ...] = (0.5, 0.2, 0.6, 0.6, 0.6)
    scales: tuple[float, ...] = (0.2, 0.2, 0.1, 0.1, 0.2)
    bias: float = 0.0
    threshold: float = 0.5
    # The ranking features are relative, so on a tiny KB anything ranks "clearly first".
    # Below this cosine similarity nothing in the KB is close to the question at all.
    min_similarity: float = 0.0
    fitted_on: list[str] = field(default_factory=list)

    def confidence(self, features: np.ndarray) -> float:
        z = (np.asarray(features) - np.array(self.means)) / np.array(self.scales)
        logit = float(z @ np.array(self.weights)) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def answers(self, features: np.ndarray, confidence: float | None = None) -> bool:
        confidence = self.confidence(features) if confidence is None else confidence
        return confidence >= self.threshold and features[TOP_SIMILARITY] >= self.min_similarity


def load_calibration(path: Path = DEFAULT_CALIBRATION) -> Calibration:
    raw = yaml.safe_load(path.read_text()) or {}
    if raw.get("features") != list(FEATURES):
        raise ValueError(
            f"{path} was fitted for features {raw.get('features')}, but search computes "
            f"{list(FEATURES)}; refit it with `candor calibrate`."
        )
    return Calibration(
        weights=tuple(raw["weights"]), means=tuple(raw["means"]), scales=tuple(raw["scales"]),
        bias=float(raw["bias"]), threshold=float(raw["threshold"]),
        min_similarity=float(raw.get("min_similarity", 0.0)), fitted_on=list(raw.get("fitted_on", [])),
    )


def save_calibration(calibration: Calibration, path: Path, comment: str) -> None:
    data = {"features": list(FEATURES), **asdict(calibration)}
    for key in ("weights", "means", "scales"):
        data[key] = [round(float(v), 6) for v in data[key]]
    data["bias"] = round(float(data["bias"]), 6)
    data["threshold"] = round(float(data["threshold"]), 4)
    data["min_similarity"] = round(float(data["min_similarity"]), 4)
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    path.write_text(header + yaml.safe_dump(data, sort_keys=False))


def similarity_floor(features: np.ndarray, correct: np.ndarray, percentile: float = 1.0) -> float:
    """The similarity below which only ``percentile`` % of right first hits fall."""
    right = features[correct > 0, TOP_SIMILARITY]
    return float(np.percentile(right, percentile)) if len(right) else 0.0


def fit(features: np.ndarray, correct: np.ndarray, l2: float = 1e-3) -> Calibration:
    """Logistic regression of "first hit is right" on standardised features (L-BFGS)."""
    means, scales = features.mean(axis=0), features.std(axis=0) + 1e-9
    z = torch.tensor((features - means) / scales, dtype=torch.float64)
    target = torch.tensor(correct, dtype=torch.float64)
    w = torch.zeros(z.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([w, b], max_iter=500)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z @ w + b, target) + l2 * (w**2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return Calibration(
        tuple(w.detach().tolist()), tuple(means.tolist()), tuple(scales.tolist()), float(b.item()),
        min_similarity=similarity_floor(features, correct),
    )

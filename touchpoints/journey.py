"""Which journey stage a conversation belongs to, from what the customer asked (touchpoints/journey.yml)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

STAGES = ("awareness", "consideration", "decision", "retention", "advocacy")
DEFAULT_FILE = Path(__file__).with_name("journey.yml")


class JourneyConfigError(ValueError):
    pass


@dataclass(frozen=True)
class JourneyConfig:
    cues: dict[str, list[re.Pattern[str]]]
    article_kinds: dict[str, str]
    default: str = "awareness"
    weights: dict[str, float] = field(default_factory=lambda: {"cue": 2, "article": 1, "attribute": 5})


def load_journey(path: Path | None = None) -> JourneyConfig:
    raw = yaml.safe_load((path or DEFAULT_FILE).read_text(encoding="utf-8")) or {}
    stages = set(STAGES)
    named = set(raw.get("cues", {})) | set(raw.get("article_kinds", {}).values()) | {raw.get("default", "awareness")}
    unknown = named - stages
    if unknown:
        raise JourneyConfigError(f"journey: unknown stage(s) {sorted(unknown)}; use {', '.join(STAGES)}")
    cues: dict[str, list[re.Pattern[str]]] = {}
    for stage, patterns in raw.get("cues", {}).items():
        try:
            cues[stage] = [re.compile(rf"\b(?:{p})\b", re.IGNORECASE) for p in patterns]
        except re.error as error:
            raise JourneyConfigError(f"journey.cues.{stage}: bad pattern ({error})") from error
    weights = {"cue": 2.0, "article": 1.0, "attribute": 5.0, **raw.get("weights", {})}
    return JourneyConfig(cues, dict(raw.get("article_kinds", {})), raw.get("default", "awareness"), weights)


def stage_scores(config: JourneyConfig, texts: Iterable[str], article_kinds: Iterable[str] = (),
                 attribute: str | None = None) -> dict[str, float]:
    scores = dict.fromkeys(STAGES, 0.0)
    for text in texts:
        for stage, patterns in config.cues.items():
            scores[stage] += config.weights["cue"] * sum(1 for p in patterns if p.search(text))
    for kind in article_kinds:
        if kind in config.article_kinds:
            scores[config.article_kinds[kind]] += config.weights["article"]
    if attribute in scores:
        scores[attribute] += config.weights["attribute"]
    return scores


def classify(config: JourneyConfig, texts: Iterable[str], article_kinds: Iterable[str] = (),
             attribute: str | None = None) -> str:
    scores = stage_scores(config, texts, article_kinds, attribute)
    best = max(scores.values())
    if best <= 0:
        return config.default
    return [stage for stage in STAGES if scores[stage] == best][-1]   # a tie goes to the later stage

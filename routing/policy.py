"""The answer-or-escalate decision taken on every customer turn, configured in YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.search import SearchResult

DEFAULT_POLICY = Path(__file__).with_name("policy.yml")


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    always_human_intents: list[str] = ["request_human", "complain"]
    min_intent_confidence: float = Field(0.55, ge=0, le=1)
    offer_below_sentiment: float = Field(-0.5, ge=-1, le=1)
    max_failures_in_a_row: int = Field(2, ge=1)
    teams: dict[str, str] = {}
    default_team: str = "general"
    priorities: dict[str, int] = {}
    default_priority: int = Field(3, ge=1, le=5)
    sla_minutes: dict[int, int] = {1: 5, 2: 10, 3: 15, 4: 30, 5: 60}


class PolicyError(ValueError):
    pass


def load_policy(path: Path = DEFAULT_POLICY) -> PolicyConfig:
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        return PolicyConfig.model_validate(raw)
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"Cannot read routing policy {path}: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
        )
        raise PolicyError(f"Routing policy {path} is invalid: {problems}") from error


@dataclass
class Turn:
    """What is known about one customer turn when the decision is taken."""

    search: SearchResult | None = None
    intent: str | None = None
    intent_confidence: float = 1.0
    sentiment: float = 0.0          # this message, VADER compound
    failures_in_a_row: int = 0      # unsure or unhelpful answers just before this turn


@dataclass
class Decision:
    action: Literal["answer", "escalate", "offer"]
    reasons: list[str] = field(default_factory=list)
    team: str = "general"
    priority: int = 3
    evidence: dict[str, Any] = field(default_factory=dict)


class Router:
    """Deterministic: the same turn and configuration always give the same decision."""

    def __init__(self, config: PolicyConfig | None = None) -> None:
        self.config = config or load_policy()

    def decide(self, turn: Turn) -> Decision:
        reasons: list[str] = []
        evidence: dict[str, Any] = {}
        trusted_intent = turn.intent if turn.intent_confidence >= self.config.min_intent_confidence else None
        if trusted_intent in self.config.always_human_intents:
            reasons.append("complaint" if trusted_intent == "complain" else "explicit_request")
            evidence["intent"] = trusted_intent
            return self._escalate("escalate", reasons, evidence, trusted_intent)
        if turn.sentiment <= self.config.offer_below_sentiment:
            reasons.append("negative_sentiment")
            evidence["sentiment"] = round(turn.sentiment, 3)
        if turn.failures_in_a_row >= self.config.max_failures_in_a_row:
            reasons.append("repeated_failure")
            evidence["failures_in_a_row"] = turn.failures_in_a_row
        if reasons:
            kind = turn.search.best.kind if turn.search and turn.search.best else trusted_intent
            if turn.search is not None:
                evidence["considered"] = [h.article_id for h in turn.search.hits[:3]]
            return self._escalate("offer", reasons, evidence, kind)
        if turn.search is not None:
            evidence["confidence"] = round(turn.search.confidence, 4)
            evidence["considered"] = [h.article_id for h in turn.search.hits[:3]]
            if turn.search.decision == "answer":
                return Decision("answer", [], evidence=evidence)
            reasons.append("low_confidence")
            kind = turn.search.best.kind if turn.search.best else None
            return self._escalate("offer", reasons, evidence, kind)
        reasons.append("out_of_scope")
        return self._escalate("offer", reasons, evidence, trusted_intent)

    def _escalate(self, action, reasons, evidence, topic) -> Decision:  # noqa: ANN001
        team = self.config.teams.get(topic or "", self.config.default_team)
        return Decision(action, reasons, team=team, priority=self.priority(reasons), evidence=evidence)

    def priority(self, reasons: list[str]) -> int:
        """The most urgent priority any of the reasons carries (1 is the most urgent)."""
        cfg = self.config
        return min((cfg.priorities.get(r, cfg.default_priority) for r in reasons), default=cfg.default_priority)

    def sla_minutes(self, priority: int) -> int:
        return self.config.sla_minutes.get(priority, 15)

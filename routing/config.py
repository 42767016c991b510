"""The routing policy's YAML file: read once at start-up, validated, errors name the key."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from routing.hours import BusinessHours
from touchpoints.journey import STAGES

DEFAULT_POLICY = Path(__file__).with_name("policy.yml")


class HumanTopic(BaseModel):
    """A topic a person always handles, recognised by the best article's tags or by phrases."""

    model_config = ConfigDict(extra="forbid")

    team: str
    tags: list[str] = []
    phrases: list[str] = []

    @model_validator(mode="after")
    def _recognisable(self) -> HumanTopic:
        if not self.tags and not self.phrases:
            raise ValueError("give at least one of tags or phrases, or the topic can never match")
        return self

    def pattern(self) -> re.Pattern[str] | None:
        if not self.phrases:
            return None
        alternatives = "|".join(re.escape(p.lower()).replace(r"\ ", r"\s+") for p in self.phrases)
        return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


class HighValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: str = "decision"
    min_monthly_price: float = Field(60.0, gt=0)
    team: str = "sales"


class Customers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vip_attribute: str = "vip"
    vip_priority_boost: int = Field(1, ge=0, le=4)
    high_value: HighValue | None = HighValue()


class Suggestions(BaseModel):
    """When search is unsure but not lost, the customer is shown its best articles to choose from
    ("Is it one of these?"), beside the offer of a person, instead of a person alone."""

    model_config = ConfigDict(extra="forbid")

    min_confidence: float = Field(0.05, ge=0, le=1)  # below either, the articles are noise: none shown
    min_similarity: float = Field(0.3, ge=0, le=1)    # of the question to the closest article text
    count: int = Field(3, ge=0, le=5)                # 0 turns suggestions off


class RuleWhen(BaseModel):
    """What a personalization rule matches; every condition given must hold."""

    model_config = ConfigDict(extra="forbid")

    verified: bool | None = None           # the conversation carried a good signature (set by Candor only)
    stage: list[str] = []                  # journey stage (Candor's own score): any of these
    min_unresolved_contacts: int | None = Field(None, ge=1)   # other contacts this week that ended unresolved
    attributes: dict[str, str | int | float | bool] = {}      # what the business's site sent, equal to these

    @model_validator(mode="after")
    def _known(self) -> RuleWhen:
        unknown = [s for s in self.stage if s not in STAGES]
        if unknown:
            raise ValueError(f"unknown stage(s) {unknown}; use {', '.join(STAGES)}")
        return self


class RuleThen(BaseModel):
    """What a personalization rule does when it matches."""

    model_config = ConfigDict(extra="forbid")

    offer_fit_check: bool = False          # an answer comes with "Help me choose a plan"
    escalate: bool = False                 # the turn goes to a person (small talk excepted)
    team: str | None = None                # an escalation or offer goes to this team
    priority: int | None = Field(None, ge=1, le=5)   # an escalation or offer is at least this urgent

    def only_raises_priority(self) -> bool:
        return not (self.offer_fit_check or self.escalate or self.team)


class PersonalizationRule(BaseModel):
    """One rule; its name is the reason code the console, the events and analytics show."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{2,39}$")
    when: RuleWhen
    then: RuleThen

    @model_validator(mode="after")
    def _sound(self) -> PersonalizationRule:
        if self.when == RuleWhen():
            raise ValueError(f"rule {self.name!r} has no condition under 'when', so it would apply to everyone")
        if self.then.only_raises_priority() and self.then.priority is None:
            raise ValueError(f"rule {self.name!r} does nothing: give one of offer_fit_check, escalate, team or "
                             "priority under 'then'")
        # The site's attributes are unverified unless signed: on their own they may only raise priority.
        if self.when.attributes and self.when.verified is not True and not self.then.only_raises_priority():
            raise ValueError(f"rule {self.name!r} matches attributes from the site, which are unverified unless the "
                             "customer id was signed, so it may only raise priority: add 'verified: true' under "
                             "'when', or keep only 'priority' under 'then'")
        return self


AssignmentMode = Literal["manual", "round_robin", "least_loaded"]


class Assignment(BaseModel):
    """How a team's escalations reach agents: claimed by hand from the queue, or given to an
    online agent with room (the one whose last assignment is oldest, or who holds the fewest)."""

    model_config = ConfigDict(extra="forbid")

    default: AssignmentMode = "manual"
    teams: dict[str, AssignmentMode] = {}
    # An online agent whose console has not called for this long counts as away: no new
    # conversations until it calls again (their own stay theirs). An open console calls every
    # 30 s (web/api/escalations.py SEEN_EVERY_S), so less than twice that would flicker.
    away_after_seconds: float = Field(120.0, ge=60)

    def mode(self, team: str) -> AssignmentMode:
        return self.teams.get(team, self.default)

    @property
    def away_after(self) -> timedelta:
        return timedelta(seconds=self.away_after_seconds)


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    always_human_intents: list[str] = ["request_human", "complain"]
    smalltalk_intents: list[str] = ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "keep_bot"]
    complaint_answer_above_sentiment: float = Field(-0.05, ge=-1, le=1)
    human_topics: dict[str, HumanTopic] = {}
    min_intent_confidence: float = Field(0.55, ge=0, le=1)
    offer_below_sentiment: float = Field(-0.5, ge=-1, le=1)
    max_failures_in_a_row: int = Field(2, ge=1)
    rephrase_similarity: float = Field(0.8, gt=0, le=1)
    suggestions: Suggestions = Suggestions()
    customers: Customers = Customers()
    business_hours: BusinessHours = BusinessHours()
    teams: dict[str, str] = {}
    default_team: str = "general"
    priorities: dict[str, int] = {}
    default_priority: int = Field(3, ge=1, le=5)
    sla_minutes: dict[int, int] = {1: 5, 2: 10, 3: 15, 4: 30, 5: 60}
    sla_check_seconds: float = Field(30.0, gt=0)
    # Reply targets per priority: queued → the agent's first reply; a customer message while held →
    # the agent's next reply. The dashboard counts how many were met.
    first_response_minutes: dict[int, int] = {1: 10, 2: 15, 3: 20, 4: 45, 5: 90}
    next_response_minutes: dict[int, int] = {1: 3, 2: 5, 3: 10, 4: 15, 5: 30}
    assignment: Assignment = Assignment()
    personalization: list[PersonalizationRule] = []

    @model_validator(mode="after")
    def _priorities_in_range(self) -> PolicyConfig:
        names = [rule.name for rule in self.personalization]
        for name in dict.fromkeys(n for n in names if names.count(n) > 1 or n in self.priorities):
            raise ValueError(f"personalization rule name {name!r} is used twice (or is a built-in reason code "
                             "under priorities); each rule needs a reason code of its own")
        for reason, priority in self.priorities.items():
            if not 1 <= priority <= 5:
                raise ValueError(f"priorities.{reason} is {priority}; use 1 (most urgent) … 5")
        for name in ("first_response_minutes", "next_response_minutes"):
            targets: dict[int, int] = getattr(self, name)
            if set(targets) != {1, 2, 3, 4, 5} or min(targets.values()) < 1:
                raise ValueError(f"{name} needs a target of at least 1 minute for each priority 1 … 5")
        return self


class PolicyError(ValueError):
    pass


def load_policy(path: Path | None = None) -> PolicyConfig:
    path = path or DEFAULT_POLICY
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        return PolicyConfig.model_validate(raw)
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"Cannot read routing policy {path}: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()
        )
        raise PolicyError(f"Routing policy {path} is invalid: {problems}") from error

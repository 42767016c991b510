"""The answer-or-escalate decision taken on every customer turn, configured in YAML."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from knowledge.search import SearchResult
from routing.config import PersonalizationRule, PolicyConfig, PolicyError, RuleWhen, load_policy
from routing.phrasing import asks_for_person, mentions_person, wants_information
from touchpoints.journey_facts import JourneyFacts

__all__ = ["Decision", "JourneyFacts", "PolicyConfig", "PolicyError", "Router", "Turn", "load_policy"]
# Set by Candor (conversations.customers) after checking a signature; a page cannot set it.
VERIFIED = "verified"


@dataclass
class Turn:
    """What is known about one customer turn when the decision is taken."""

    search: SearchResult | None = None
    intent: str | None = None
    intent_confidence: float = 1.0
    sentiment: float = 0.0          # this message, VADER compound
    failures_in_a_row: int = 0      # unsure or unhelpful answers in a row, a rephrasing now included
    rephrased: bool = False         # this message asks the previous one again in other words
    text: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)  # from the business's site: vip, stage…
    stage: str | None = None        # journey stage when known from the conversation itself
    plan_price: float | None = None  # monthly price of the plan under discussion
    now: datetime | None = None     # business hours are checked only when given
    journey: JourneyFacts = field(default_factory=JourneyFacts)  # the customer's other conversations

    @property
    def verified(self) -> bool:
        return self.attributes.get(VERIFIED) is True


# "chat": small talk, answered with the intent's own reply (no knowledge, no person)
Action = Literal["answer", "escalate", "offer", "chat"]


@dataclass
class Decision:
    action: Action
    reasons: list[str] = field(default_factory=list)
    team: str = "general"
    priority: int = 3
    evidence: dict[str, Any] = field(default_factory=dict)
    team_open: bool = True
    opens_at: datetime | None = None  # when the team is next in, if it is closed now
    offer_fit_check: bool = False     # a personalization rule asks for "Help me choose a plan" with the answer
    suggestions: tuple[str, ...] = ()  # articles the customer may choose from when search is unsure


class Router:
    """Deterministic: the same turn and configuration always give the same decision."""

    def __init__(self, config: PolicyConfig | None = None) -> None:
        self.config = config or load_policy()
        self._topic_patterns = {name: t.pattern() for name, t in self.config.human_topics.items()}

    def decide(self, turn: Turn) -> Decision:
        """The policy's decision for the turn, then the personalization rules that match the customer."""
        return self.personalize(turn, self.base_decision(turn))

    def base_decision(self, turn: Turn) -> Decision:
        """One decision from the NLU intent and the knowledge base together.

        The intent is a guess from a small model trained on a few hundred examples; a sure
        knowledge-base answer is the stronger evidence that the customer asked something it covers.
        So only an explicit request for a person always wins; a "complaint" the KB can answer is
        answered (and still queued when the message is negative or no question); small talk gets
        its own reply unless the message also asks something the KB is sure of.
        """
        evidence: dict[str, Any] = {}
        confident = turn.search is not None and turn.search.sure
        if turn.search is not None:
            evidence["confidence"] = round(turn.search.confidence, 4)
            evidence["considered"] = [h.article_id for h in turn.search.hits[:3]]
        if turn.intent is not None:
            evidence["intent"] = turn.intent
            evidence["intent_confidence"] = round(turn.intent_confidence, 4)
        trusted_intent = turn.intent if turn.intent_confidence >= self.config.min_intent_confidence else None
        # Read as search read it too: "cn i use…" is a question once text-speak is spelled out.
        spelled = turn.search.normalized if turn.search is not None and turn.search.normalized else ""
        informational = _reads_as(wants_information, turn.text, spelled)
        reasons: list[str] = []
        if _reads_as(asks_for_person, turn.text, spelled):
            # Whatever else the message asks ("I'd like to speak to someone, how much is it to leave
            # early"): a sure article is shown while they wait.
            return self._escalate("escalate", ["explicit_request"], evidence, turn, topic="request_human")
        if trusted_intent in self.config.always_human_intents:
            complaint = trusted_intent == "complain"
            # A calm question is no complaint whatever the NLU guessed: answered if the KB can, else offered.
            calm_question = informational and turn.sentiment > self.config.complaint_answer_above_sentiment
            if complaint and calm_question:
                reasons.append("possible_complaint")
            elif not complaint and confident and _typed_without_person(turn.text, spelled):
                # "call aj", "please spell doctor": no word for a person, and the KB is sure of an
                # article; it is answered and a person offered beside it (one click away).
                reasons.append("possible_request")
            else:
                return self._escalate("escalate", ["complaint" if complaint else "explicit_request"], evidence, turn,
                                      topic=trusted_intent)
        if trusted_intent in self.config.smalltalk_intents and not (
            (informational or _says_more(turn.text)) and (confident or self._near(turn.search))
        ):
            # "hello! is there a usage allowance?" is a question, small talk or not, and "I paid on
            # time and still got a late fee, I want it taken off" no goodbye; "how are you?" and
            # "thanks, have a good evening" are far from every article and get the small-talk reply.
            return Decision("chat", ["smalltalk"], evidence=evidence)
        topic = self.human_topic(turn.text, turn.search if confident else None)
        if topic is not None:
            evidence["topic"] = topic
            if not informational:
                return self._escalate("escalate", ["human_topic"], evidence, turn,
                                      team=self.config.human_topics[topic].team)
            # Asking *about* a topic a person handles: the article answers (or, unsure, is offered to
            # choose), and the team is offered beside it.
            reasons.append("human_topic")

        if turn.sentiment <= self.config.offer_below_sentiment:
            reasons.append("negative_sentiment")
            evidence["sentiment"] = round(turn.sentiment, 3)
        if turn.failures_in_a_row >= self.config.max_failures_in_a_row:
            reasons.append("repeated_failure")
            evidence["failures_in_a_row"] = turn.failures_in_a_row
            if turn.rephrased:
                evidence["rephrased"] = True
        kind = turn.search.best.kind if turn.search is not None and turn.search.best else trusted_intent
        if reasons:
            team = self.config.human_topics[topic].team if topic is not None else None
            return self._suggest(self._escalate("offer", reasons, evidence, turn, topic=kind, team=team), turn)
        if confident:
            return self.high_value_offer(turn, evidence) or Decision("answer", [], evidence=evidence)
        reason = "low_confidence" if turn.search is not None and trusted_intent != "out_of_scope" else "out_of_scope"
        return self._suggest(self._escalate("offer", [reason], evidence, turn, topic=kind), turn)

    def _near(self, search: SearchResult | None) -> bool:
        """Unsure, perhaps, but close enough to some article to show it (the suggestion floors)."""
        rule = self.config.suggestions
        return (search is not None and search.confidence >= rule.min_confidence
                and search.top_similarity >= rule.min_similarity)

    def _suggest(self, decision: Decision, turn: Turn) -> Decision:
        """An offer of a person also shows the articles an unsure search ranked first, when it is
        unsure but not lost; not after two failures in a row (more guessing is what failed)."""
        rule, search = self.config.suggestions, turn.search
        if search is None or search.sure or "repeated_failure" in decision.reasons:
            return decision
        if not self._near(search):
            return decision
        decision.suggestions = tuple(hit.article_id for hit in search.hits[:rule.count])
        if decision.suggestions:
            decision.evidence["suggested"] = list(decision.suggestions)
        return decision

    def human_topic(self, text: str, confident: SearchResult | None) -> str | None:
        """The first configured always-human topic the message or the sure answer is about."""
        tags = set(confident.best.tags) if confident is not None and confident.best else set()
        for name, topic in self.config.human_topics.items():
            pattern = self._topic_patterns[name]
            if tags & set(topic.tags) or (pattern is not None and text and pattern.search(text)):
                return name
        return None

    def high_value_offer(self, turn: Turn, evidence: dict[str, Any] | None = None) -> Decision | None:
        """An offer of a person from sales to a customer deciding on a dear plan, else None."""
        rule = self.config.customers.high_value
        # A stage the site sent is trusted only when signed: an offer is more than raising priority.
        stage = turn.stage or (turn.attributes.get("stage") if turn.verified else None)
        if rule is None or stage != rule.stage or turn.plan_price is None:
            return None
        if turn.plan_price < rule.min_monthly_price:
            return None
        evidence = {**(evidence or {}), "stage": stage, "plan_price": turn.plan_price}
        return self._escalate("offer", ["high_value_decision"], evidence, turn, team=rule.team)

    def personalize(self, turn: Turn, decision: Decision) -> Decision:
        """Apply every matching personalization rule (policy.yml), in order; each one that changes the
        decision adds its name to the reasons. Small talk is left alone: it asks nothing yet."""
        if decision.action == "chat":
            return decision
        for rule in self.config.personalization:
            if not matches(rule.when, turn):
                continue
            before = decision
            decision = self._apply(rule, turn, decision)
            if decision != before:
                decision.reasons = [*decision.reasons, rule.name]
                decision.evidence = {**decision.evidence, **_facts(turn)}
        return decision

    def _apply(self, rule: PersonalizationRule, turn: Turn, decision: Decision) -> Decision:
        then = rule.then
        # Once per conversation: a customer who chose to leave the queue is not sent back to it.
        escalate = then.escalate and not turn.journey.escalated_here
        if escalate and decision.action == "offer":
            decision = replace(decision, action="escalate")
        elif escalate and decision.action == "answer":
            kind = turn.search.best.kind if turn.search is not None and turn.search.best else turn.intent
            decision = self._escalate("escalate", list(decision.reasons), dict(decision.evidence), turn, topic=kind)
        if decision.action in ("escalate", "offer"):
            if then.team is not None and then.team != decision.team:
                decision = replace(decision, team=then.team)
            if then.priority is not None and then.priority < decision.priority:
                decision = replace(decision, priority=then.priority)
        elif then.offer_fit_check and not decision.offer_fit_check:
            decision = replace(decision, offer_fit_check=True)
        return decision

    def _escalate(self, action: Action, reasons: list[str], evidence: dict[str, Any], turn: Turn,
                  topic: str | None = None, team: str | None = None) -> Decision:
        team = team or self.config.teams.get(topic or "", self.config.default_team)
        priority = self.priority(reasons)
        customers = self.config.customers
        if str(turn.attributes.get(customers.vip_attribute, "")).lower() in {"true", "yes", "1"}:
            priority = max(1, priority - customers.vip_priority_boost)
            evidence["vip"] = True
        decision = Decision(action, reasons, team=team, priority=priority, evidence=evidence)
        if turn.now is not None and not self.config.business_hours.is_open(turn.now):
            decision.team_open = False
            decision.opens_at = self.config.business_hours.next_opening(turn.now)
            evidence["team_open"] = False
        return decision

    def priority(self, reasons: list[str]) -> int:
        """The most urgent priority any of the reasons carries (1 is the most urgent)."""
        cfg = self.config
        return min((cfg.priorities.get(r, cfg.default_priority) for r in reasons), default=cfg.default_priority)

    def fallback_wait_minutes(self) -> int:
        """The wait to quote before any escalation has been claimed: the default priority's SLA."""
        return self.sla_minutes(self.config.default_priority)

    def sla_minutes(self, priority: int) -> int:
        return self.config.sla_minutes.get(priority, 15)


def matches(when: RuleWhen, turn: Turn) -> bool:
    """Whether every condition of a rule holds for this turn's customer."""
    stage = turn.stage or turn.journey.stage
    if when.verified is not None and when.verified != turn.verified:
        return False
    if when.stage and stage not in when.stage:
        return False
    if when.min_unresolved_contacts is not None and turn.journey.unresolved_contacts < when.min_unresolved_contacts:
        return False
    # Compared as text: the site may send true, "true" or 1 for the same thing.
    return all(str(turn.attributes.get(key)).lower() == str(value).lower() for key, value in when.attributes.items())


def _facts(turn: Turn) -> dict[str, Any]:
    """What the rules saw, for the console's evidence."""
    facts: dict[str, Any] = {"verified": turn.verified}
    if turn.stage or turn.journey.stage:
        facts["journey_stage"] = turn.stage or turn.journey.stage
    if turn.journey.unresolved_contacts:
        facts["unresolved_contacts"] = turn.journey.unresolved_contacts
    return facts


def _reads_as(says: Callable[[str], bool], text: str, spelled: str) -> bool:
    """The message says it as typed, or once search spelled out its shorthand ("cn i…")."""
    return says(text) or bool(spelled) and says(spelled)


def _typed_without_person(text: str, spelled: str) -> bool:
    """Typed by the customer (not a button's "/request_human") and naming no person at all."""
    return bool(text.strip()) and not text.startswith("/") and not _reads_as(mentions_person, text, spelled)


def _says_more(text: str) -> bool:
    """More than a greeting or a thank-you: a question, or a few words of content."""
    return wants_information(text) or len(text.split()) >= SMALLTALK_MAX_WORDS


# "hi", "thanks a lot", "ok bye then": small talk is short; a longer message carries a request.
SMALLTALK_MAX_WORDS = 5

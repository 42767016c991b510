"""A customer's explicit request for a person, decided by the router like every other turn."""

from __future__ import annotations

from dataclasses import replace

from routing.policy import Decision, Router, Turn


def on_request(router: Router, turn: Turn, offer: Decision | None = None) -> Decision:
    """Always a handoff: the header's "Talk to a person", a "yes" to the bot's offer, or a request
    the NLU was sure of are the customer's own choice, whatever the intent model made of them.

    Accepting an offer hands over the case the offer described: its reasons join the request's
    (the person sees why the bot offered), its team takes it, and the more urgent priority wins.
    """
    decision = router.base_decision(turn)
    if decision.action != "escalate":
        reasons = ["explicit_request"]
        decision = replace(decision, action="escalate", reasons=reasons,
                           priority=min(decision.priority, router.priority(reasons)))
    # The customer's journey applies to the request as it is (a rule may make it more urgent).
    decision = router.personalize(turn, decision)
    if offer is None:
        return decision
    return replace(
        decision,
        reasons=list(dict.fromkeys([*decision.reasons, *offer.reasons])),
        team=offer.team or decision.team,
        priority=min(decision.priority, offer.priority),
        evidence={**offer.evidence, **decision.evidence},
    )

"""The escalation's state machine: queued → claimed → closed, and back to the queue.

Every status change of an escalation is checked here: ORM changes through ``check``, conditional
UPDATEs (claim, auto-assignment) by guarding on ``sources``. The values are the API's strings.
"""

from __future__ import annotations

from enum import StrEnum

# The enum lives with the conversation's, in the lowest layer that needs it: the touchpoint
# scorer reads escalation moves from the event log.
from touchpoints.status import EscalationStatus, IllegalTransition

__all__ = ["ESCALATION_MOVES", "EscalationStatus", "IllegalTransition", "Presence", "check", "sources"]


# From each status, the statuses it may move to. A claimed escalation goes back to the queue when
# its agent unclaims it, transfers it, or goes offline.
ESCALATION_MOVES: dict[EscalationStatus, frozenset[EscalationStatus]] = {
    EscalationStatus.QUEUED: frozenset({EscalationStatus.CLAIMED, EscalationStatus.CLOSED}),
    EscalationStatus.CLAIMED: frozenset({EscalationStatus.QUEUED, EscalationStatus.CLOSED}),
    EscalationStatus.CLOSED: frozenset(),
}


def check(escalation_id: int, old: str, new: EscalationStatus) -> EscalationStatus:
    """The old status as a member, or ``IllegalTransition`` when ``old → new`` is not allowed."""
    current = EscalationStatus(old)
    if new not in ESCALATION_MOVES[current]:
        raise IllegalTransition(f"Escalation {escalation_id} is {current}; it cannot become {new}.")
    return current


def sources(new: EscalationStatus) -> list[EscalationStatus]:
    """The statuses a conditional UPDATE to ``new`` may start from (its WHERE clause)."""
    return [old for old, targets in ESCALATION_MOVES.items() if new in targets]


class Presence(StrEnum):
    """An agent's presence as they set it. An online agent whose console has been silent longer
    than ``agent_away_after_s`` counts as away (routing/presence.py) until it calls again."""

    ONLINE = "online"    # takes new conversations (auto-assignment), keeps their own
    AWAY = "away"        # keeps their conversations, gets no new ones
    OFFLINE = "offline"  # their conversations go back to the queue

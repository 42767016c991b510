"""What the bot's actions send the web app beside a reply's text: the one typed contract.

The actions build a ``BotReply`` and send ``BotReply.dump()`` as Rasa's ``json_message``; the web
app reads it back with ``BotReply.read()``. The version is in the payload so that a web app and an
action server deployed at different times can tell each other's replies apart: a reply of an
unknown version is still shown (its text is what the customer needs), but its handoff is not
guessed at — the conversation goes to a person with the reason ``bot_reply_unreadable``.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

VERSION = 1

BotAction = Literal["answer", "offer", "escalate", "chat"]


class _Part(BaseModel):
    # Extra keys are kept: an older or newer peer may add one, and nothing the bot said is dropped.
    model_config = ConfigDict(extra="allow")


class Source(_Part):
    """The article a reply quotes; cited once, by the widget's source line."""

    article_id: str
    title: str
    url: str | None = None


class Handoff(_Part):
    """Why a person is needed, for whom, and how urgently: what the router decided."""

    reasons: list[str]
    team: str | None = None
    priority: int | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class BotDecision(_Part):
    """The router's decision for the turn. An offer carries its handoff's fields flat, as stored
    transcripts have always had them, so that accepting it later can hand the same case over."""

    action: BotAction
    confidence: float | None = None
    reasons: list[str] | None = None
    team: str | None = None
    priority: int | None = None
    evidence: dict[str, Any] | None = None

    def offered(self) -> Handoff | None:
        """The handoff this decision offered the customer, if it was an offer."""
        if self.action != "offer":
            return None
        return Handoff(reasons=self.reasons or [], team=self.team, priority=self.priority,
                       evidence=self.evidence or {})


class BotReply(_Part):
    version: int = VERSION
    sources: list[Source] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    decision: BotDecision | None = None
    handoff: Handoff | None = None  # present when the conversation goes to the queue now

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def decided(self, decision: BotDecision, handoff: Handoff | None = None) -> dict[str, Any]:
        """This reply's payload with the router's decision (and the handoff, when the turn queues)."""
        return self.model_copy(update={"decision": decision, "handoff": handoff}).dump()

    @classmethod
    def read(cls, custom: dict[str, Any] | None) -> BotReply:
        """The reply from Rasa's ``custom`` entry. Unreadable or of another version: the text still
        reaches the customer, and a person is brought in rather than a handoff guessed at."""
        if not custom:
            return cls()
        version = custom.get("version", VERSION)
        try:
            if version != VERSION:
                raise ValueError(f"reply version {version!r}, this web app reads {VERSION}")
            return cls.model_validate(custom)
        except (ValidationError, ValueError) as error:
            logger.error("An unreadable bot reply payload (%s): %s", error, custom)
            return cls(handoff=Handoff(reasons=["bot_reply_unreadable"], evidence={"error": str(error)[:500]}))


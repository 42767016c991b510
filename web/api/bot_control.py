"""Pausing and resuming the customer's Rasa conversation as people take it and hand it on."""

from __future__ import annotations

import logging

from fastapi import Request

from web.rasa_client import RasaUnavailable

logger = logging.getLogger(__name__)


def tell_rasa(request: Request, conversation_id: str, event: str) -> None:
    """Pause/resume the Rasa tracker too; the web app already routes by status, so a failure
    here is logged rather than undoing the agent's action."""
    try:
        request.app.state.chat.rasa.append_event(conversation_id, {"event": event})
    except RasaUnavailable as error:
        logger.error("Could not %s Rasa conversation %s: %s", event, conversation_id, error)


def resume(request: Request, conversation_ids: list[str]) -> None:
    """Nobody holds these any more (unclaimed, transferred to a team, agent offline): the tracker a
    claim paused is resumed, so if the customer goes back to the bot while waiting, it answers.
    Until then the web app keeps their messages from the bot by the conversation's status."""
    for conversation_id in dict.fromkeys(conversation_ids):
        tell_rasa(request, conversation_id, "resume")

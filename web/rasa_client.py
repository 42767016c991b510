"""Talking to the Rasa server: the REST channel for messages, the HTTP API for control."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer; the caller keeps the message and routes it to a person."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(timeout=timeout_s)

    def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            response = self._http.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata or {}},
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa server at {self.base_url} did not answer: {error}") from error
        return response.json() or []

    def append_event(self, sender: str, event: dict[str, Any]) -> None:
        """Add an event (pause, resume, …) to a conversation through the HTTP API."""
        try:
            self._http.post(
                f"{self.base_url}/conversations/{sender}/tracker/events",
                params={"token": self.token}, json=event,
            ).raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa server at {self.base_url} refused {event}: {error}") from error

    def status(self) -> dict[str, Any]:
        """The loaded model, via the token-protected HTTP API (so this also checks the token)."""
        response = self._http.get(f"{self.base_url}/status", params={"token": self.token}, timeout=3)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._http.close()


def merge_replies(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold Rasa's separate ``custom`` entries into the bot message they belong to.

    The REST channel sends an action's text (with buttons) and its ``json_message`` as two
    list entries; a custom entry with no text before it becomes a message of its own.
    """
    merged: list[dict[str, Any]] = []
    for reply in replies:
        custom = reply.get("custom")
        if custom is not None and "text" not in reply and merged and "custom" not in merged[-1]:
            merged[-1]["custom"] = custom
            continue
        merged.append(
            {"text": reply.get("text", ""), "buttons": reply.get("buttons") or [], "custom": custom or {}}
            if custom is not None
            else {"text": reply.get("text", ""), "buttons": reply.get("buttons") or []}
        )
    for message in merged:
        message.setdefault("custom", {})
    return merged

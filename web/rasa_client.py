"""Talking to the Rasa server: the REST channel for messages, the HTTP API for control."""

from __future__ import annotations

import zlib
from typing import Any

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer; the caller keeps the message and routes it to a person."""


class RasaClient:
    """Spreads conversations over the Rasa replicas: each conversation has its home replica (a
    stable hash of its id), and moves to the next one only when its home refuses the connection,
    so the request surely never reached it. Replicas share the tracker store and Rasa's lock store."""

    def __init__(self, base_urls: str | list[str], token: str, timeout_s: float = 10.0) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else base_urls
        self.base_urls = [u.rstrip("/") for u in urls]
        self.token = token
        self._http = httpx.Client(timeout=timeout_s)

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    def replicas_for(self, sender: str) -> list[str]:
        home = zlib.crc32(sender.encode()) % len(self.base_urls)
        return self.base_urls[home:] + self.base_urls[:home]

    def _post(self, sender: str, path: str, **kwargs: Any) -> httpx.Response:
        refused: httpx.ConnectError | None = None
        for base in self.replicas_for(sender):
            try:
                response = self._http.post(f"{base}{path}", **kwargs)
                response.raise_for_status()
                return response
            except httpx.ConnectError as error:
                refused = error
        raise refused

    def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            response = self._post(sender, "/webhooks/rest/webhook",
                                  json={"sender": sender, "message": text, "metadata": metadata or {}})
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa server at {', '.join(self.base_urls)} did not answer: {error}") from error
        return response.json() or []

    def append_event(self, sender: str, event: dict[str, Any]) -> None:
        """Add an event (pause, resume, …) to a conversation through the HTTP API."""
        try:
            self._post(sender, f"/conversations/{sender}/tracker/events", params={"token": self.token}, json=event)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa server refused {event}: {error}") from error

    def status(self, base_url: str | None = None) -> dict[str, Any]:
        """A replica's loaded model, via the token-protected HTTP API (so this also checks the token)."""
        response = self._http.get(f"{base_url or self.base_url}/status", params={"token": self.token}, timeout=3)
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

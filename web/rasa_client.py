"""Talking to the Rasa server: the REST channel for messages, the HTTP API for control."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from conversations.turn import BotUnavailable


class RasaUnavailable(BotUnavailable):
    """Rasa did not answer; the caller keeps the message and routes it to a person."""


class Balancer:
    """Which replica takes a request: the one with the fewest requests in flight from this process,
    ties going to the conversation's home (a stable hash of its id), so a quiet conversation stays
    put. A stable hash alone split the load bench's 50 conversations 37:19 ms of CPU per turn
    between two replicas, one queueing while the other idled. Any replica may take any turn: they
    share the tracker store, and Rasa's lock store and Candor's turn lock keep a conversation's
    turns in order."""

    def __init__(self, count: int) -> None:
        self.in_flight = [0] * count
        self._lock = threading.Lock()

    def home_order(self, sender: str) -> list[int]:
        home = zlib.crc32(sender.encode()) % len(self.in_flight)
        return [*range(home, len(self.in_flight)), *range(home)]

    @contextmanager
    def take(self, sender: str, tried: set[int]) -> Iterator[int]:
        with self._lock:  # pick and count in one step, so two threads do not both see an idle replica
            replica = min((i for i in self.home_order(sender) if i not in tried), key=self.in_flight.__getitem__)
            self.in_flight[replica] += 1
        try:
            yield replica
        finally:
            with self._lock:
                self.in_flight[replica] -= 1


class RasaClient:
    """Talks to the Rasa replicas through a Balancer; a request moves to another replica only when one
    refuses the connection, so it surely never reached the first."""

    def __init__(self, base_urls: str | list[str], token: str, timeout_s: float = 10.0) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else base_urls
        self.base_urls = [u.rstrip("/") for u in urls]
        self.token = token
        self.balancer = Balancer(len(self.base_urls))
        self._http = httpx.Client(timeout=timeout_s)

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    def replicas_for(self, sender: str) -> list[str]:
        """The conversation's home replica first, then the others: the order ties are broken in."""
        return [self.base_urls[i] for i in self.balancer.home_order(sender)]

    def _post(self, sender: str, path: str, **kwargs: Any) -> httpx.Response:
        refused: httpx.ConnectError | None = None
        tried: set[int] = set()
        while len(tried) < len(self.base_urls):
            with self.balancer.take(sender, tried) as replica:
                tried.add(replica)
                try:
                    response = self._http.post(f"{self.base_urls[replica]}{path}", **kwargs)
                    response.raise_for_status()
                    return response
                except httpx.ConnectError as error:
                    refused = error
        # No replica configured: fail as a refused connection does (RasaUnavailable), not with `raise None`.
        raise refused or httpx.ConnectError("No Rasa replica is configured.")

    def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            response = self._post(sender, "/webhooks/rest/webhook",
                                  json={"sender": sender, "message": text, "metadata": metadata or {}})
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa server at {', '.join(self.base_urls)} did not answer: {error}") from error
        return response.json() or []

    def reply(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """The bot's messages for a customer turn, as the conversation service reads them."""
        return merge_replies(self.send(conversation_id, text))

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
        status: dict[str, Any] = response.json()
        return status

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

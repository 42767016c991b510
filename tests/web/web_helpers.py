"""Helpers for the web app's unit tests: the real app, with Rasa and the action server down."""

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient


def offline_app(**settings) -> FastAPI:
    """Port 9 (discard) has no listener here: every turn takes the bot-down path, which stores the
    message, a notice and an escalation without needing a trained model."""
    from candor.settings import Settings
    from web.app import create_app

    return create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t", **settings))


def offline_client(**settings) -> TestClient:
    """offline_app, called in-process."""
    return TestClient(offline_app(**settings))


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    """A new conversation's id and its customer's headers."""
    body = client.post("/api/conversations").json()
    return body["id"], {"Authorization": f"Bearer {body['token']}"}


def run_async(coroutine) -> None:
    """asyncio.run on a thread of its own: the browser tests' sync Playwright keeps an event loop
    running on the main thread for the whole session, where asyncio.run refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def claimed_by_workers(database_url: str, ids: list[int], claim, workers: int = 6) -> list[int]:
    """Several threads each try to claim every id, one session per attempt, as competing senders do;
    the ids they won, all together (each exactly once if the claim holds). `claim(session, id)` returns
    None when the row was not free."""
    from concurrent.futures import ThreadPoolExecutor

    from candor.db import session_scope

    def worker(_: int) -> list[int]:
        won = []
        for row_id in ids:
            with session_scope(database_url) as session:
                if claim(session, row_id) is not None:
                    won.append(row_id)
        return won

    with ThreadPoolExecutor(workers) as pool:
        return [row_id for won in pool.map(worker, range(workers)) for row_id in won]

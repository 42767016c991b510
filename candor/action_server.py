"""The rasa_sdk action server, bound to loopback and warmed up before it reports healthy."""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import warnings
from typing import Any

# rasa_sdk 3.21 warns on every call that the Rasa server (3.6.21) has another minor version.
# The pairing is deliberate (rasa_sdk 3.6 does not install on Python 3.11) and was checked to
# serve 3.6 correctly, so the warning carries no information here.
warnings.filterwarnings("ignore", message=r"Your versions? of rasa")

import orjson  # noqa: E402
from rasa_sdk.endpoint import create_app  # noqa: E402
from rasa_sdk.executor import ActionExecutor  # noqa: E402
from sanic import Request, Sanic  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402
from sanic.response import json as json_response  # noqa: E402

from candor.settings import get_settings  # noqa: E402

logger = logging.getLogger("candor.actions")


def main() -> None:
    parser = argparse.ArgumentParser(description="Candor action server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    executor = ActionExecutor()
    executor.register_package("actions")
    app: Sanic[Any, Any] = create_app(executor, cors_origins=None)  # rasa_sdk is untyped; it returns a Sanic app
    # Each action call carries the whole tracker, which grows every turn: parsing it with the standard
    # json module was a seventh of this process's CPU in the load bench. Sanic(loads=...) sets exactly
    # this class attribute; rasa_sdk builds the app itself, so it is set here.
    Request._loads = orjson.loads  # type: ignore[assignment]  # sanic types it as a method; it is called unbound
    token = get_settings().rasa_token

    @app.on_request
    async def _require_token(request: Request) -> HTTPResponse | None:
        # Rasa passes the token from its endpoints file as ?token=; nothing else may run actions.
        if token and request.path == "/webhook" and not hmac.compare_digest(request.args.get("token", ""), token):
            return json_response({"error": "This action server only serves its own Rasa (token required)."},
                                 status=403)
        return None

    @app.before_server_start
    async def _warm_up(_app: Sanic[Any, Any], _loop: asyncio.AbstractEventLoop) -> None:
        # Loading the embedding model and indexing the knowledge base takes seconds; do it
        # before the port opens so the first customer question is not the slow one.
        from actions.services import default_services

        knowledge = default_services().knowledge
        knowledge.refresh()
        # A first query loads MiniLM and trains the ranking head and the speller; on a busy machine that
        # outlasts Rasa's 10 s action timeout, so the first customer must not be the one who pays for it.
        knowledge.search_index.search("warm-up")
        logger.info("Knowledge index ready (%d articles)", len(knowledge.search_index))

    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()

"""`rasa run` as the stack starts it, run by the Rasa environment's Python (not the app's).

Changes to Rasa 3.6, each found by profiling the load bench (py-spy) and each keeping Rasa's own
behaviour and errors. First, it checks every custom action's response against its response schema
with ``jsonschema.validate``, which first validates the *schema itself* against the JSON Schema
2020-12 meta-schema: about 19 ms of CPU per call, to check a constant. Profiling the load bench
(py-spy) put 30 % of the Rasa server's CPU there. The schema is checked once here instead and the
compiled validator reused; a response that fails still goes through Rasa's own method, so the
error and its message are Rasa's.

Second, every event read back from the tracker store looks up its class by walking all of
``Event``'s subclasses (``Event.resolve_by_type``): 4 % of the server's CPU, growing with the
conversation. The class Rasa's own walk finds for a name is kept and reused.

Third, the tracker Rasa posts to the action server on every action call is written with ujson
(a Rasa dependency) instead of ``json.dumps``: 10 % of the server's CPU. The action server reads it
with orjson; what ujson cannot write goes through ``json.dumps`` as before. And the calls share one
HTTP session, whose connections are kept alive between them: Rasa opened a session, and so a new
TCP connection for both servers to set up and tear down, for every action call.

The tracker store the endpoints name, bot/cached_tracker_store.py, is the fourth.
"""

from __future__ import annotations

import sys
from typing import Any


def reuse_action_response_validator() -> None:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    rasa_validate = RemoteAction._validate_action_result
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if exceptions.best_match(validator.iter_errors(result)) is None:
            return True
        return rasa_validate(self, result)  # raises Rasa's ValidationError, message and all

    RemoteAction._validate_action_result = validate_action_result


def cache_event_classes() -> None:
    from rasa.shared.core.events import Event

    rasa_resolve = Event.resolve_by_type
    known: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = known.get(type_name)
        if found is None:
            found = rasa_resolve(type_name, default)   # Rasa's walk, its defaults and its error
            if found is not None and found is not default:
                known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


def serialize_action_calls_with_ujson() -> None:
    import asyncio
    import json

    import aiohttp
    import ujson
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    def dumps(data: Any) -> str:
        try:
            return ujson.dumps(data)
        except (TypeError, OverflowError, ValueError):  # what ujson cannot write, json may (or says why)
            return json.dumps(data)

    kept: dict[tuple[int, int], aiohttp.ClientSession] = {}

    class Kept:
        """What Rasa's ``async with self.session() as session`` gets: the kept session, left open."""

        def __init__(self, session: aiohttp.ClientSession) -> None:
            self.session = session

        async def __aenter__(self) -> aiohttp.ClientSession:
            return self.session

        async def __aexit__(self, *_exc: object) -> None:
            return None

    def session(self: EndpointConfig) -> Kept:
        # Rasa's own session (rasa.utils.endpoints) with the serializer changed, made once per endpoint and
        # event loop (a session belongs to the loop it was made in). Idle connections close after 15 s
        # (aiohttp's default), well before the action server's keep-alive of 120 s ends them, so a
        # call is never sent on a connection the server is closing.
        key = (id(self), id(asyncio.get_running_loop()))
        current = kept.get(key)
        if current is None or current.closed:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            current = kept[key] = aiohttp.ClientSession(
                headers=self.headers, auth=auth, json_serialize=dumps,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
        return Kept(current)

    EndpointConfig.session = session  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    # The endpoints name this tracker store; Rasa would fall back to memory, with only a warning,
    # if it failed to import there. Here the server fails to start instead.
    import cached_tracker_store  # noqa: F401

    reuse_action_response_validator()
    cache_event_classes()
    serialize_action_calls_with_ujson()
    from rasa.__main__ import main

    sys.exit(main())

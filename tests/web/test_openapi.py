"""/openapi.json describes every response: each operation has a 2xx answer with a schema that says
what comes (a named model, not a free-form object), or sends the non-JSON media type NOT_JSON names.
A new route without a response model fails `test_every_route_describes_its_response`.

Also: timestamps read as they always have (naive UTC + "Z"), and payloads keep their keys exactly
now that response models describe them.
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from web_helpers import offline_client, start

from candor.db import session_scope
from web.schemas import UtcDatetime, utc_text

pytestmark = pytest.mark.unit

# The routes that answer something other than JSON, and what: each is named here on purpose, so a
# route cannot dodge the JSON check by declaring another media type.
NOT_JSON = {
    "GET /api/conversations/{conversation_id}/events": "text/event-stream",
    "GET /api/escalations/events": "text/event-stream",
    "GET /api/analytics/export.csv": "text/csv",
    "GET /api/analytics/journey.csv": "text/csv",
}


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def _describes(schema: dict[str, Any], document: dict[str, Any]) -> bool:
    """Whether a schema says what the body holds: named fields, or a list/union of such things."""
    schema = _resolve(schema, document)
    if "anyOf" in schema or "oneOf" in schema:
        return all(_describes(s, document) for s in schema.get("anyOf", schema.get("oneOf")))
    kind = schema.get("type")
    if kind == "array":
        return _describes(schema.get("items", {}), document)
    if kind == "object":
        return bool(schema.get("properties"))  # dict[str, Any] gives an object with nothing named
    return kind in ("string", "integer", "number", "boolean", "null")


def undescribed(app: FastAPI, not_json: dict[str, str] | None = None) -> list[str]:
    """'METHOD path: why' for each operation whose success response /openapi.json does not describe."""
    not_json = NOT_JSON if not_json is None else not_json
    document = app.openapi()
    problems = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            if not successes:
                problems.append(f"{name}: no 2xx response")
            for code, response in successes.items():
                content = response.get("content", {})
                if code == "204":
                    if content:
                        problems.append(f"{name}: 204 says it has a body")
                    continue
                if not content:
                    problems.append(f"{name}: {code} declares no media type")
                for media, body in content.items():
                    if media == "application/json" and not _describes(body.get("schema", {}), document):
                        problems.append(f"{name}: {code} JSON without a response model")
                    elif media != "application/json" and not_json.get(name) != media:
                        problems.append(f"{name}: {code} sends {media}, which NOT_JSON does not list for it")
    return problems


def test_every_route_describes_its_response():
    app = offline_client().app
    missing = undescribed(app)
    assert missing == [], "Give these routes a response model (a typed return or response_model=):\n" + "\n".join(
        missing)


def test_the_check_fails_for_untyped_routes_and_passes_typed_ones():
    class Thing(BaseModel):
        name: str

    app = FastAPI()

    @app.get("/untyped")
    def untyped():
        return {}

    @app.get("/free-form")
    def free_form() -> dict[str, Any]:
        return {}

    @app.get("/free-list")
    def free_list() -> list[dict[str, Any]]:
        return []

    @app.get("/typed")
    def typed() -> Thing:
        return Thing(name="x")

    @app.get("/typed-list")
    def typed_list() -> list[Thing]:
        return []

    @app.delete("/gone", status_code=204)
    def gone() -> None:
        return None

    @app.get("/listed.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
    def listed() -> Response:
        return Response("", media_type="text/csv")

    @app.get("/unlisted.txt", response_class=PlainTextResponse)
    def unlisted() -> PlainTextResponse:
        return PlainTextResponse("")

    flagged = {problem.split(":")[0] for problem in undescribed(app, {"GET /listed.csv": "text/csv"})}
    assert flagged == {"GET /untyped", "GET /free-form", "GET /free-list", "GET /unlisted.txt"}


class Stamped(BaseModel):
    at: UtcDatetime


@pytest.mark.parametrize("moment", [datetime(2026, 5, 1, 9, 30), datetime(2026, 5, 1, 9, 30, 0, 123456),
                                    datetime(2026, 12, 31, 23, 59, 59, 1)])
def test_a_naive_utc_datetime_serializes_as_it_always_has(moment):
    assert Stamped(at=moment).model_dump(mode="json") == {"at": moment.isoformat() + "Z"}
    # Read back (as a stored message's text is) and written again: the same string.
    again = Stamped.model_validate_json(Stamped(at=moment).model_dump_json())
    assert again.model_dump(mode="json") == {"at": moment.isoformat() + "Z"}


def test_an_aware_datetime_is_written_in_utc():
    assert utc_text(datetime(2026, 5, 1, 11, 30, tzinfo=UTC)) == "2026-05-01T11:30:00Z"
    assert Stamped(at=datetime.fromisoformat("2026-05-01T11:30:00+02:00")).model_dump(mode="json") == {
        "at": "2026-05-01T09:30:00Z"}


def test_payloads_keep_their_keys_and_timestamps(database):
    """The models describe what the routes build; they neither drop nor add a key."""
    from conversations.turn import public_message
    from touchpoints.models import Message

    client = offline_client()
    conversation_id, customer = start(client)
    sent = client.post(f"/api/conversations/{conversation_id}/messages", headers=customer, json={"text": "hello"})
    assert sent.status_code == 200, sent.text
    assert set(sent.json()) == {"messages", "status"}
    transcript = client.get(f"/api/conversations/{conversation_id}", headers=customer).json()
    assert set(transcript) == {"id", "status", "queue", "messages"}
    with session_scope() as session:
        stored = session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                 .order_by(Message.seq)).all()
        built = [json.loads(json.dumps(public_message(m))) for m in stored]
        stamps = [m.created_at.isoformat() + "Z" for m in stored]
    assert len(built) >= 2
    assert transcript["messages"] == built
    assert [m["created_at"] for m in transcript["messages"]] == stamps
    assert sent.json()["messages"] == built[1:]  # the replies to "hello"


def test_sign_in_answers_only_the_keys_of_its_kind(database):
    from routing import staff

    client = offline_client()
    with session_scope() as session:
        staff.add_user(session, "openapi-agent", "correct horse battery", "agent", [])
    credentials = {"username": "openapi-agent", "password": "correct horse battery"}
    assert set(client.post("/api/auth/login", json=credentials).json()) == {"token", "role"}
    assert set(client.post("/api/auth/login", json={**credentials, "cookie": True}).json()) == {"role", "csrf"}

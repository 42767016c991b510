"""``/healthz``: each component checked for real, 503 when any is down; ``/readyz``: whether a
customer's turn would be answered now (Rasa's model loaded, the action server warmed up, the
database at the newest migration), for load balancers and ``candor up``.

The endpoint is public (load balancers probe it), so it names components and kinds of failure,
never internal addresses or error texts; the processes' logs and ``candor up`` have those."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from candor.db import get_engine, session_scope, utcnow
from candor.migrate import is_current
from candor.preflight import redis_error
from conversations import outbox
from touchpoints import webhooks
from touchpoints.spool import EventSpool

router = APIRouter()


# The models describe the bodies for /openapi.json; the routes answer with a JSONResponse because
# the status code (200 or 503) depends on the body.
class Component(BaseModel):
    # Some components add their own figures (the event log's counts, a replica's model).
    model_config = ConfigDict(extra="allow")
    ok: bool
    detail: str | None = Field(default=None, description="What is wrong; only when not ok (or a warning)")
    model: str | None = Field(default=None, description="Rasa only: the loaded model")
    replicas: list[Component] | None = Field(default=None, description="Rasa with several replicas: each one")


class Readiness(BaseModel):
    ready: bool
    components: dict[str, Component] = Field(description="web, rasa, actions, database and redis when used")


class Health(BaseModel):
    status: str = Field(description="ok, warning (events wait for the database, e-mail late) or degraded")
    components: dict[str, Component] = Field(description="As in /readyz, plus event_log, mail and webhooks")
    processes: dict[str, Any] | None = Field(
        default=None, description="Restarts and deaths seen by the supervisor, when `candor up` runs this instance")


def _both(model: type[BaseModel], unwell: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model}, 503: {"model": model, "description": unwell}}


def _check_database() -> dict[str, Any]:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as error:  # any failure means "down"; the detail says which
        return {"ok": False, "detail": f"database unreachable: {error.__class__.__name__}"}


def _check_rasa(request: Request) -> dict[str, Any]:
    rasa = request.app.state.chat.rasa
    replicas = []
    for n, url in enumerate(rasa.base_urls, start=1):
        name = f"rasa-{n}" if len(rasa.base_urls) > 1 else "rasa"  # as `candor up` names the processes
        try:
            replicas.append({"name": name, "ok": True, "model": rasa.status(url).get("model_id")})
        except httpx.HTTPError as error:
            replicas.append({"name": name, "ok": False, "detail": f"Rasa server not answering ({_kind(error)})"})
    down = [r for r in replicas if not r["ok"]]
    if len(replicas) == 1:
        return replicas[0]
    result: dict[str, Any] = {"ok": not down, "replicas": replicas}
    if down:
        result["detail"] = f"{len(down)} of {len(replicas)} Rasa replicas not answering"
    return result


def actions_error(url: str, timeout_s: float) -> httpx.HTTPError | None:
    """Why the action server at ``url`` does not answer its health check, or None when it does."""
    try:
        httpx.get(f"{url}/health", timeout=timeout_s).raise_for_status()
    except httpx.HTTPError as error:
        return error
    return None


def _kind(error: Exception) -> str:
    """The kind of failure without the text, which may carry an internal address."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return error.__class__.__name__


def _check_actions(request: Request) -> dict[str, Any]:
    error = actions_error(request.app.state.settings.actions_url, timeout_s=3)
    if error is None:
        return {"ok": True}
    return {"ok": False, "detail": f"action server not answering ({_kind(error)})"}


def _check_redis(url: str) -> dict[str, Any]:
    error = redis_error(url, timeout_s=2)
    if error is None:
        return {"ok": True}
    return {"ok": False, "detail": f"Redis unreachable: {error.__class__.__name__}"}


def _check_event_log(request: Request) -> dict[str, Any]:
    counts = EventSpool(request.app.state.settings.event_spool).counts()
    if counts["rejected"]:
        detail = f"{counts['rejected']} conversation events refused by the database; see the .rejected.jsonl file"
    elif counts["spooled"]:
        detail = f"{counts['spooled']} conversation events wait for the database; replayed when it answers"
    else:
        return {"ok": True, **counts}
    return {"ok": False, **counts, "detail": detail}


def _check_mail(request: Request) -> dict[str, Any]:
    """Outbound e-mail: failed, held (no SMTP host) or overdue mails are a warning, counted."""
    try:
        with session_scope() as session:
            return outbox.health(session, utcnow(), enabled=bool(request.app.state.settings.smtp_host))
    except Exception as error:  # the database check above reports the outage itself
        return {"ok": False, "detail": f"mail queue unreadable: {error.__class__.__name__}"}


def _check_webhooks() -> dict[str, Any]:
    """Outbound webhooks: failed or overdue deliveries are a warning, counted."""
    try:
        with session_scope() as session:
            return webhooks.health(session, utcnow())
    except Exception as error:  # the database check above reports the outage itself
        return {"ok": False, "detail": f"webhook queue unreadable: {error.__class__.__name__}"}


def _processes(request: Request) -> dict[str, Any] | None:
    """Restarts and deaths the supervisor (``candor up``) has seen, when one runs this instance."""
    path = request.app.state.settings.var_dir / "run" / "processes.json"
    try:
        processes: dict[str, Any] = json.loads(path.read_text())["processes"]
        return processes
    except (OSError, ValueError, KeyError):
        return None


def _components(request: Request) -> dict[str, dict[str, Any]]:
    components = {
        "web": {"ok": True},
        "rasa": _check_rasa(request),
        "actions": _check_actions(request),
        "database": _check_database(),
    }
    if request.app.state.settings.redis_url:
        components["redis"] = _check_redis(request.app.state.settings.redis_url)
    return components


@router.get("/readyz", response_model=Readiness, responses=_both(Readiness, "Not ready: what is missing"))
def readyz(request: Request) -> JSONResponse:
    """Ready when a real turn would be answered; 503 (with what is missing) until then."""
    components = _components(request)
    rasa = components["rasa"]
    for replica in rasa.get("replicas", [rasa]):
        if replica["ok"] and not replica.get("model"):
            replica.update(ok=False, detail="Rasa has no model loaded yet")
    if "replicas" in rasa:
        rasa["ok"] = all(r["ok"] for r in rasa["replicas"])
    if components["database"]["ok"]:
        try:
            with get_engine().connect() as connection:
                migrated = is_current(connection)
        except Exception as error:  # a database that cannot say is not ready
            migrated, components["database"]["detail"] = False, f"migrations unknown: {error.__class__.__name__}"
        if not migrated:
            components["database"].update(ok=False, detail=components["database"].get(
                "detail", "database not at the newest migration (run candor db upgrade)"))
    ready = all(c["ok"] for c in components.values())
    return JSONResponse({"ready": ready, "components": components}, status_code=200 if ready else 503)


@router.get("/healthz", response_model=Health, responses=_both(Health, "A component is down"))
def healthz(request: Request) -> JSONResponse:
    components = _components(request)
    healthy = all(c["ok"] for c in components.values())
    # Events waiting in the spool are a warning, not an outage: chats keep working, so the
    # instance stays in rotation (200) while the body says what is pending.
    extra = {"event_log": _check_event_log(request), "mail": _check_mail(request), "webhooks": _check_webhooks()}
    status = "degraded" if not healthy else "ok" if all(c["ok"] for c in extra.values()) else "warning"
    body: dict[str, Any] = {"status": status, "components": {**components, **extra}}
    processes = _processes(request)
    if processes is not None:
        body["processes"] = processes
    return JSONResponse(body, status_code=200 if healthy else 503)

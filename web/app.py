"""The ASGI app: customer chat API and health now; console, editor and dashboard mount here."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from candor.db import DatabaseUnavailable
from candor.settings import Settings, get_settings
from routing.policy import Router, load_policy
from web import health
from web.api import conversations, escalations, staff
from web.chat import ChatService
from web.rasa_client import RasaClient


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Candor", version="0.1.0")
    app.state.settings = settings
    app.state.chat = ChatService(
        RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s),
        Router(load_policy(settings.policy_file)),
    )
    app.include_router(health.router)
    app.include_router(conversations.router)
    app.include_router(staff.router)
    app.include_router(escalations.router)

    @app.exception_handler(DatabaseUnavailable)
    async def _database_down(_: Request, error: DatabaseUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": "The service is briefly unavailable; nothing was saved. Retry in a few seconds."},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"] if p != "body") or "body"
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        return JSONResponse({"detail": "; ".join(problems), "errors": problems}, status_code=422)

    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory web.app:app_factory``."""
    return create_app()

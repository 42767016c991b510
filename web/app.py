"""The ASGI app: customer chat API, health, the agent console and the knowledge editor."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from candor.db import DatabaseUnavailable, session_scope, utcnow
from candor.settings import Settings, get_settings
from conversations import erasure
from conversations.turn import ChatService
from routing import service_level
from routing.policy import Router, load_policy
from touchpoints.scorer import score_pending
from touchpoints.spool import EventSpool
from web import health
from web.api import analytics, articles, canned, conversations, escalations, follow_ups, mail, privacy, staff, webhooks
from web.api.agents import router as agents_router
from web.api.conversation_search import router as search_router
from web.api.customers import router as customers_router
from web.api.handover import router as handover_router
from web.api.journey import router as journey_router
from web.api.staff_admin import router as staff_admin_router
from web.health import actions_error
from web.knowledge import keep_content_gaps
from web.live import LiveHub
from web.locks import Locks, LockTimeout
from web.rasa_client import RasaClient
from web.rate_limits import RateLimits
from web.security import BodyLimit, SecurityHeaders

logger = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")


async def _background(interval_s: float, settings: Settings, locks: Locks) -> None:
    """Every interval: replay conversation events spooled while the database was away
    (touchpoints.spool), tell customers whose escalation nobody claimed in time
    (routing.service_level), score the touchpoints of conversations that changed
    (touchpoints.scorer), and delete conversations past the retention period (conversations.erasure)."""
    jobs: list[Callable[[], object]] = [EventSpool(settings.event_spool).replay, check_service_levels]
    if days := settings.retention_days:
        jobs.append(lambda: purge_expired(settings, days))
    while True:
        await asyncio.sleep(interval_s)
        await run_in_threadpool(_background_round, jobs, locks, interval_s)


def _background_round(jobs: list[Callable[[], object]], locks: Locks, interval_s: float) -> None:
    try:
        with locks.try_hold("background") as mine:
            if not mine:
                return  # another web worker runs this round
            for job in jobs:
                try:
                    job()
                except Exception:  # the database may be briefly away; the next round catches up
                    logger.exception("Background job %r failed; retrying in %.0f s", job, interval_s)
    except Exception:  # Redis away: skip the round, loudly; /healthz reports Redis
        logger.exception("Background round skipped: lock unavailable")


SCORE_EVERY_S = 1.0  # a change check reads the small dirty-mark table: cheap enough to run every second
# A conversation in full flow is scored at most about this often, not after every turn: rescoring it
# each second cost a fifth of the web app's CPU in the load bench, and at 5 s still more than a quarter
# (its whole history is re-read each time). Analytics reads score what they need on demand
# (web.api.analytics), so only touchpoint webhooks wait this long.
SCORE_SETTLE = timedelta(seconds=30)


async def _scorer(locks: Locks) -> None:
    """Score the touchpoints of changed conversations (touchpoints.scorer); one worker per round."""
    while True:
        await asyncio.sleep(SCORE_EVERY_S)
        await run_in_threadpool(_score_round, locks)


def _score_round(locks: Locks) -> None:
    try:
        with locks.try_hold("scorer") as mine:
            if mine:
                score_touchpoints()
    except Exception:  # the database or Redis may be briefly away; the next round catches up
        logger.exception("Scoring touchpoints failed; retrying in %.0f s", SCORE_EVERY_S)


def check_service_levels() -> int:
    with session_scope() as session:
        return len(service_level.notify_breaches(session, utcnow()))


def score_touchpoints() -> int:
    with session_scope() as session:
        return score_pending(session, utcnow(), settle=SCORE_SETTLE)


def purge_expired(settings: Settings, days: int) -> dict[str, int]:
    """Erase the conversations silent for ``days`` days (settings.retention_days, when set)."""
    with session_scope() as session:
        ids = erasure.expired(session, utcnow(), days)
        counts = erasure.erase(session, ids, erasure.tracker_url(settings))
    if ids:
        erasure.scrub_files(settings, ids)
    if ids:
        logger.info("Retention: deleted %d conversations silent for %d days (%s)",
                    len(ids), days, counts)
    return counts


def _retry_later(detail: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:  # an exception handler
    async def handler(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})

    return handler


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    router = Router(load_policy(settings.policy_file))
    locks = Locks(settings.redis_url)
    hub = LiveHub(settings.redis_url, settings.live_fallback_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        watcher = asyncio.create_task(_background(router.config.sla_check_seconds, settings, locks))
        scorer = asyncio.create_task(_scorer(locks))
        gaps = asyncio.create_task(keep_content_gaps(app.state, locks))   # web.knowledge
        mailer = asyncio.create_task(mail.send_queued_mail(settings))  # its own task: SMTP may be slow
        hooks = asyncio.create_task(webhooks.send_due_webhooks())  # likewise: a receiver may be slow
        app.state.scorer = True   # analytics reads wait briefly for it (web.api.analytics)
        try:
            yield
        finally:
            watcher.cancel()
            scorer.cancel()
            gaps.cancel()
            mailer.cancel()
            hooks.cancel()
            await hub.stop()

    app = FastAPI(title="Candor", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.live = hub
    app.state.chat = ChatService(
        RasaClient(settings.rasa_urls, settings.rasa_token, settings.rasa_timeout_s), router, locks,
        tuple(settings.redact), actions_down=lambda: actions_error(settings.actions_url, timeout_s=1) is not None,
    )
    app.state.rate_limits = RateLimits(settings)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)
    if settings.widget_origins:
        # The widget on the business's own site calls the customer API across origins.
        app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                           expose_headers=["Retry-After", "Idempotent-Replayed"])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/demo", include_in_schema=False)
    def demo() -> FileResponse:
        """A fictional business's website with the chat widget embedded, as a customer sees it."""
        return FileResponse(STATIC / "demo.html")

    @app.get("/staff", include_in_schema=False)
    def staff_page() -> FileResponse:
        """Staff accounts and the audit log; its script admits admins only."""
        return FileResponse(STATIC / "staff.html")

    @app.get("/webhooks", include_in_schema=False)
    def webhooks_page() -> FileResponse:
        """Outbound webhooks and their delivery log; its script admits admins only."""
        return FileResponse(STATIC / "webhooks.html")

    @app.get("/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(STATIC / "login.html")

    @app.get("/console", include_in_schema=False)
    def console_page() -> FileResponse:
        """The agent console; its script sends people who are not signed in to /login."""
        return FileResponse(STATIC / "console.html")

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page() -> FileResponse:
        """Journey analytics for CX staff (role editor or admin)."""
        return FileResponse(STATIC / "dashboard.html")

    @app.get("/editor", include_in_schema=False)
    def editor_page() -> FileResponse:
        """The knowledge editor for CX staff (role editor or admin)."""
        return FileResponse(STATIC / "editor.html")

    app.include_router(health.router)
    app.include_router(search_router)  # before /api/conversations/{id} takes 'search'
    app.include_router(conversations.router)
    app.include_router(staff.router)
    app.include_router(escalations.router)
    app.include_router(handover_router)
    app.include_router(agents_router)
    app.include_router(follow_ups.customer_router)
    app.include_router(follow_ups.staff_router)
    app.include_router(mail.customer_router)
    app.include_router(mail.admin_router)
    app.include_router(canned.router)
    app.include_router(articles.router)
    app.include_router(analytics.router)
    app.include_router(journey_router)
    app.include_router(privacy.router)
    app.include_router(staff_admin_router)
    app.include_router(customers_router)
    app.include_router(webhooks.router)

    # Both say "nothing was saved": the client may send the same request again (503 + Retry-After).
    unavailable = {
        DatabaseUnavailable: "The service is briefly unavailable; nothing was saved. Retry in a few seconds.",
        LockTimeout: "Your previous message is still being processed; nothing was saved. Retry in a few seconds.",
    }
    for kind, detail in unavailable.items():
        app.add_exception_handler(kind, _retry_later(detail))

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

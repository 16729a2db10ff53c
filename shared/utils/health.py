"""GET /health (the process answers) and GET /ready (its dependencies answer) for both apps."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
ReadinessCheck = Callable[[Request], Awaitable[dict[str, str]]]


async def database_check(engine: AsyncEngine, timeout: float = 5.0) -> str:
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        return f"unavailable: {type(exc).__name__}"


async def watch_database(engine: AsyncEngine, on_change: Callable[[bool], Awaitable[None]], *,
                         interval: float) -> None:
    """Tell `on_change` whenever the database starts or stops answering (the same check as /ready),
    looking every `interval` seconds: gRPC health follows it, so probes and balancers agree with /ready."""
    answering: bool | None = None
    while True:
        now_answering = await database_check(engine, timeout=interval) == "ok"
        if now_answering != answering:
            answering = now_answering
            log.log(logging.INFO if answering else logging.WARNING,
                    "database %s", "answers: serving" if answering else "does not answer: not serving")
            await on_change(answering)
        await asyncio.sleep(interval)


def health_router(service: str, readiness: ReadinessCheck) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Liveness: the process is up")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get("/ready", summary="Readiness: 503 when a required dependency is down; 'degraded' when Kafka lags")
    async def ready(request: Request) -> JSONResponse:
        checks = await readiness(request)
        # A down dependency (database) makes the service unready; a degraded one (Kafka backlog)
        # does not: requests are still served and the backlog drains when it recovers.
        if any(v.startswith("unavailable") for v in checks.values()):
            return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
        degraded = any(v.startswith("degraded") for v in checks.values())
        return JSONResponse({"status": "degraded" if degraded else "ready", "checks": checks})

    return router

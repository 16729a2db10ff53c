"""GET /health (the process answers) and GET /ready (its dependencies answer) for both apps."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

ReadinessCheck = Callable[[Request], Awaitable[dict[str, str]]]


async def database_check(engine: AsyncEngine) -> str:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        return f"unavailable: {type(exc).__name__}"


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

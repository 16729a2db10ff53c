"""The FastAPI app both services share the shape of: one lifespan-built service object, routers,
error handlers, /health and /ready."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import DomainError
from shared.telemetry.tracing import instrument_app
from shared.utils.asgi import answer_headers
from shared.utils.body_limit import BodySizeLimit
from shared.utils.health import ReadinessCheck, health_router
from shared.utils.http_errors import domain_error_response, install_error_handlers, validation_error_response
from shared.utils.idempotency_keys import IdempotencyKeys, IdempotentService
from shared.utils.log_context import RequestIds
from shared.utils.metrics import Metrics, RequestMetrics

COMMON_WEB = Path(__file__).resolve().parents[1] / "web"
# The pages (plain files, no build step) load their own scripts and styles and talk to their own
# API only; nothing frames them; what they link to learns nothing of where the reader came from.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
EVERY_ANSWER = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"no-referrer")]


def page(app: FastAPI, path: str, file: Path) -> None:
    """Serve one HTML page at `path` under PAGE_POLICY."""
    app.add_api_route(path, lambda: FileResponse(file, headers={"Content-Security-Policy": PAGE_POLICY}),
                      include_in_schema=False)


class SafeAnswers:
    """ASGI: every answer says not to sniff its type, not to be framed, not to send a Referer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, answer_headers(send, EVERY_ANSWER))


class Service(IdempotentService, Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def service_app(
    *,
    name: str,
    title: str,
    description: str,
    build: Callable[[], Service],
    routers: Sequence[APIRouter],
    readiness: ReadinessCheck,
    max_body_bytes: int,
    body_limits: dict[str, int] | None = None,
) -> FastAPI:
    """`build()` runs inside the lifespan (the running loop); the result is `app.state.<name>`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = build()
        try:
            await service.start()
            setattr(app.state, name, service)
            yield
        finally:  # also after a failed start: what did start stops, and the engine is disposed
            await service.stop()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)

    @app.exception_handler(RequestValidationError)
    async def authenticate_before_validating(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI decodes a JSON body before any dependency runs, so a malformed body would be
        # described to a caller the route would refuse: authentication answers first.
        service: Service | None = getattr(app.state, name, None)
        if service is not None and request.method in ("POST", "PUT", "PATCH"):
            try:
                service.authenticated_caller(request.url.path, request.headers)
            except DomainError as refusal:
                return domain_error_response(refusal)
        return validation_error_response(exc)

    # Added first, so it runs inside the body limit: oversized bodies never reach it.
    app.add_middleware(IdempotencyKeys, service=lambda: getattr(app.state, name, None))
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, per_path=body_limits)
    metrics = Metrics(lambda: getattr(app.state, name, None))
    app.add_middleware(RequestMetrics, metrics=metrics)  # refusals are counted too
    app.add_middleware(SafeAnswers)
    app.add_middleware(RequestIds)  # outermost: every log line of the request carries its id
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    app.include_router(health_router(name, readiness))
    app.include_router(metrics.router())
    # What both services' pages share (their palette and frame): /common/base.css.
    app.mount("/common", StaticFiles(directory=COMMON_WEB), name="common-web")
    instrument_app(app)  # when tracing is on: a server span around everything above
    return app

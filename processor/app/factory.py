"""The Processor's FastAPI app: REST on HTTP_PORT, the grpc.aio server started in its lifespan."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from processor.app.api.v1 import followups, orders, proposals
from processor.app.config import ProcessorSettings, get_settings
from processor.app.container import Processor
from shared.utils.health import database_check, health_router
from shared.utils.http_errors import install_error_handlers


async def _readiness(request: Request) -> dict[str, str]:
    processor: Processor = request.app.state.processor
    return {"database": await database_check(processor.engine)}


def create_app(settings: ProcessorSettings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Built here, inside the running loop: grpc.aio objects made elsewhere fail later.
        processor = Processor.build(settings or get_settings())
        await processor.start()
        app.state.processor = processor
        try:
            yield
        finally:
            await processor.stop()

    app = FastAPI(
        title="dCent Communicator — Processor",
        description="Seller side: proposals, follow-ups, edit locks; gRPC server for the Requestor.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (proposals, followups, orders):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(health_router("processor", _readiness))
    return app

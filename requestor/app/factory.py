"""The Requestor's FastAPI app; the gRPC channel and streams are created in its lifespan."""
from __future__ import annotations

from contextlib import asynccontextmanager

import grpc
from fastapi import FastAPI, Request

from requestor.app.api.v1 import orders
from requestor.app.config import RequestorSettings, get_settings
from requestor.app.container import Requestor
from shared.utils.health import database_check, health_router
from shared.utils.http_errors import install_error_handlers


async def _readiness(request: Request) -> dict[str, str]:
    requestor: Requestor = request.app.state.requestor
    channel = requestor.channel.get_state(try_to_connect=True)
    return {
        "database": await database_check(requestor.engine),
        "processor": "ok" if channel in (grpc.ChannelConnectivity.READY, grpc.ChannelConnectivity.IDLE) else channel.name.lower(),
    }


def create_app(settings: RequestorSettings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        requestor = Requestor.build(settings or get_settings())
        await requestor.start()
        app.state.requestor = requestor
        try:
            yield
        finally:
            await requestor.stop()

    app = FastAPI(
        title="dCent Communicator — Requestor",
        description="Buyer side: initiate orders, follow up, finalize, pause, resume; live proposals over gRPC.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(orders.router, prefix="/api/v1")
    app.include_router(health_router("requestor", _readiness))
    return app

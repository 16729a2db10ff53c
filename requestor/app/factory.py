"""The Requestor's FastAPI app; the gRPC channel and streams are created in its lifespan."""
from __future__ import annotations

from pathlib import Path

import grpc
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from requestor.app.api.v1 import events, orders
from requestor.app.config import RequestorSettings, get_settings
from requestor.app.container import Requestor
from shared.utils.app import page, service_app
from shared.utils.health import database_check


async def _readiness(request: Request) -> dict[str, str]:
    requestor: Requestor = request.app.state.requestor
    channel = requestor.channel.get_state(try_to_connect=True)
    return {
        "database": await database_check(requestor.engine),
        "processor": "ok" if channel in (grpc.ChannelConnectivity.READY, grpc.ChannelConnectivity.IDLE)
        else f"degraded: channel {channel.name.lower()}",
        "kafka": await requestor.messaging.status(),
        "streams": requestor.ownership.describe(),
    }


WEB = Path(__file__).resolve().parent / "web"


def create_app(settings: RequestorSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = service_app(
        name="requestor",
        title="dCent Communicator — Requestor",
        description="Buyer side: initiate orders, follow up, finalize, pause, resume; live proposals over gRPC.",
        build=lambda: Requestor.build(settings),
        routers=[orders.router, events.router],
        readiness=_readiness,
        max_body_bytes=settings.max_body_bytes,
    )
    # The buyer's page: plain HTML, CSS and JavaScript, no build step.
    app.mount("/static", StaticFiles(directory=WEB), name="static")
    page(app, "/", WEB / "index.html")
    return app

"""The Processor's FastAPI app: REST on HTTP_PORT, the grpc.aio server started in its lifespan."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from processor.app.api.v1 import followups, orders, proposals, seller_page, seller_reads, sellers
from processor.app.api.v1.sellers import MAX_IMPORT_BYTES
from processor.app.config import ProcessorSettings, get_settings
from processor.app.container import Processor
from shared.utils.app import page, service_app
from shared.utils.health import database_check


async def _readiness(request: Request) -> dict[str, str]:
    processor: Processor = request.app.state.processor
    return {"database": await database_check(processor.engine), "kafka": await processor.messaging.status()}


WEB = Path(__file__).resolve().parent / "web"


def create_app(settings: ProcessorSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = service_app(
        name="processor",
        title="dCent Communicator — Processor",
        description="Seller side: proposals, follow-ups, edit locks; gRPC server for the Requestor.",
        # Built in the lifespan, inside the running loop: grpc.aio objects made elsewhere fail later.
        build=lambda: Processor.build(settings),
        routers=[proposals.router, followups.router, orders.router, seller_reads.router, seller_page.router,
                 sellers.router, sellers.admin_router, seller_page.admin_router],
        readiness=_readiness,
        max_body_bytes=settings.max_body_bytes,
        body_limits={"/api/v1/sellers/import": MAX_IMPORT_BYTES},
    )
    # The seller page a Chat card opens: plain HTML, CSS and JavaScript, no build step.
    app.mount("/seller/static", StaticFiles(directory=WEB), name="seller-static")
    page(app, "/seller/", WEB / "seller.html")
    return app

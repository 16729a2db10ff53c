"""One JSON error shape for both FastAPI apps: {"detail": {"reason": ..., "field": ...}}."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.errors import DomainError, Unavailable

RETRY_AFTER_SECONDS = "2"


async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
    detail = {"reason": exc.reason}
    if exc.field:
        detail["field"] = exc.field
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if isinstance(exc, Unavailable) else None
    return JSONResponse({"detail": detail}, status_code=exc.http_status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)


def error_responses(*statuses: int) -> dict[int, dict]:
    """OpenAPI entries for the refusals an endpoint can answer."""
    meaning = {
        403: "Not allowed: a seller not invited or not the owner, or a missing admin key",
        404: "Unknown order or proposal",
        409: "The order's or proposal's state forbids this action",
        422: "A field is missing or invalid (the body names it)",
        503: "A dependency is unavailable; retry after Retry-After seconds",
    }
    return {s: {"description": meaning[s]} for s in statuses}

"""One JSON error shape for both FastAPI apps: {"detail": {"reason": ..., "field": ...}}."""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from starlette.types import Send

from shared.errors import DomainError, Unauthorized, Unavailable

log = logging.getLogger(__name__)


def refusal_body(reason: str, field: str | None = None) -> dict:
    """The one shape of a refusal: {"detail": {"reason": ..., "field": ...}}."""
    return {"detail": {"reason": reason, **({"field": field} if field else {})}}


async def send_refusal(send: Send, status: int, reason: str, *, field: str | None = None,
                       headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """The same refusal written by a pure ASGI middleware (before FastAPI sees the request)."""
    body = json.dumps(refusal_body(reason, field)).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError), "registered for DomainError only"
    return domain_error_response(exc)


def _writable(value: Any) -> Any:
    """JSON can carry it: non-finite numbers as text, lone surrogates escaped."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_writable(k): _writable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_writable(v) for v in value]
    return value


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, also for input JSON cannot echo back (NaN, 1e999, a lone surrogate): its
    own handler fails to write those, a 500."""
    errors = jsonable_encoder(exc.errors())
    try:
        return JSONResponse({"detail": errors}, status_code=422)
    except (ValueError, UnicodeEncodeError):
        return JSONResponse({"detail": _writable(errors)}, status_code=422)


def domain_error_response(exc: DomainError) -> JSONResponse:
    headers = None
    if exc.retry_after_seconds is not None:
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    elif isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(refusal_body(exc.reason, exc.field), status_code=exc.http_status, headers=headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The database went away (restart, failover, network): tell the client when to retry; the
    # pool reconnects by itself (pool_pre_ping) once it is back. A statement the database
    # refused (integrity, data, syntax) is a bug, not an outage: that stays a 500.
    if isinstance(exc, (IntegrityError, DataError, ProgrammingError)):
        log.error("database refused a statement on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": {"reason": "internal error"}}, status_code=500)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return await _domain_error(request, Unavailable("the database is unavailable; retry shortly"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(ConnectionError, _database_unavailable)  # refused or reset on connect


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the refusals an endpoint can answer."""
    meaning = {
        401: "No bearer token, or one that does not verify (authentication on)",
        403: "Not allowed: a seller not invited or not the owner, or a missing admin key",
        404: "Unknown order or proposal",
        409: "The order's or proposal's state forbids this action",
        422: "A field is missing or invalid (the body names it)",
        429: "A limit on this caller is reached (the reason names it); it does not lift with time",
        503: "A dependency is unavailable or the server is overloaded; retry after Retry-After seconds",
    }
    return {s: {"description": meaning[s]} for s in statuses}

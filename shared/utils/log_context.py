"""Log lines that say which request (and which order) they belong to, as JSON when asked.

`RequestIds` (ASGI middleware) takes the caller's `X-Request-ID` when it is a sane token, else
makes one, answers with it, and keeps it in a context variable for the request's task; anything
logged meanwhile — uvicorn's access line included — carries it. `LOG_FORMAT=json` writes one JSON
object per line (`JsonFormatter`); `text` stays the human-readable default for `make run`.
Secrets are redacted after formatting, either way (shared.telemetry.redaction).
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.telemetry.tracing import log_ids
from shared.utils.asgi import answer_headers

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
ORDER_ID: ContextVar[str] = ContextVar("order_id", default="")
HEADER = b"x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER, b"").decode("latin-1")
        request_id = given if _SANE.match(given) else uuid.uuid4().hex
        REQUEST_ID.set(request_id)
        ORDER_ID.set(_order_in_path(scope.get("path", "")))

        await self.app(scope, receive, answer_headers(send, [(HEADER, request_id.encode())]))


def _order_in_path(path: str) -> str:
    """The order a request's path names (…/orders/{id}…, …/finalize/{id}, …): for its log lines."""
    found = re.search(r"/(?:orders|finalize|pause|resume)/([A-Za-z0-9][A-Za-z0-9._:\-]{0,127})", path)
    return found.group(1) if found else ""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and order ids, trace and
    span ids (when tracing is on), the service that wrote it (several write to one terminal under
    `make run`), and the traceback if any."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
            "order_id": ORDER_ID.get(),
        }
        if ids := log_ids():
            line["trace_id"], line["span_id"] = ids
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in line.items() if v not in ("", "0")}, ensure_ascii=False)

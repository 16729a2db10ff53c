"""Run a FastAPI app under uvicorn (uvloop + httptools when installed), logging configured once:
uvicorn's own handlers plus a root handler (httpx, grpc, aiokafka, ours), every one redacting secrets
(shared.telemetry.redaction)."""
from __future__ import annotations

import copy
import math
from typing import Any

import uvicorn
import uvicorn.config
from fastapi import FastAPI

from shared.config import CommonSettings
from shared.telemetry.redaction import redact_values, redacted_config, secret_values
from shared.utils.log_context import JsonFormatter

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def logging_config(level: str, log_format: str = "text", service: str = "") -> dict[str, Any]:
    """uvicorn's logging configuration (its `uvicorn.error` and `uvicorn.access` handlers) plus the root
    handler everything else propagates to, each handler redacting (shared.telemetry.redaction.redacted_config).
    `json`: every handler writes one JSON object per line (shared.utils.log_context)."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["service"] = {"format": LOG_FORMAT}
    if log_format == "json":
        for name in list(config["formatters"]):
            config["formatters"][name] = {"()": JsonFormatter, "service": service}
    config["handlers"]["service"] = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                     "formatter": "service"}
    config["root"] = {"level": level.upper(), "handlers": ["service"]}
    return redacted_config(config)


def serve(app: FastAPI, settings: CommonSettings, *, service: str = "", graceful_seconds: float = 10.0) -> None:
    redact_values(secret_values(settings))  # the configured keys and secrets are never written, whoever logs them
    uvicorn.run(
        app,
        host=settings.bind_host,
        port=settings.http_port,
        # Applied by uvicorn before anything else runs.
        log_config=logging_config(settings.log_level, settings.log_format, service),
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=math.ceil(graceful_seconds),  # uvicorn counts whole seconds
    )

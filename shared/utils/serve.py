"""Run a FastAPI app under uvicorn (uvloop + httptools when installed), logging configured once."""
from __future__ import annotations

import logging
import math

import uvicorn
from fastapi import FastAPI

from shared.config import CommonSettings


def serve(app: FastAPI, settings: CommonSettings, *, graceful_seconds: float = 10.0) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        app,
        host=settings.bind_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=math.ceil(graceful_seconds),  # uvicorn counts whole seconds
    )

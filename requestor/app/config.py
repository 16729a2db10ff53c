"""Requestor settings (env vars override requestor/.env.local)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import CommonSettings, service_env_files

SERVICE_DIR = Path(__file__).resolve().parent.parent


class RequestorSettings(CommonSettings):
    model_config = SettingsConfigDict(env_file=service_env_files(SERVICE_DIR), extra="ignore")

    http_port: int = Field(8000, ge=0, le=65535)
    processor_grpc_target: str = Field("127.0.0.1:50051", description="host:port of the Processor's gRPC server")
    grpc_call_timeout_seconds: float = Field(10.0, gt=0)
    stream_retry_initial_seconds: float = Field(0.05, gt=0)
    stream_retry_max_seconds: float = Field(2.0, gt=0)
    # After an action, wait this long for the stream to deliver its event so the answer shows it.
    action_wait_seconds: float = Field(3.0, ge=0)
    sse_ping_seconds: float = Field(15.0, gt=0, description="keep-alive comment on an idle event stream")
    sse_poll_seconds: float = Field(5.0, gt=0)


@lru_cache
def get_settings() -> RequestorSettings:
    return RequestorSettings()

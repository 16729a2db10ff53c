"""Processor settings (env vars override processor/.env.local)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import CommonSettings, service_env_files

SERVICE_DIR = Path(__file__).resolve().parent.parent
DEMO_SELLERS_FILE = SERVICE_DIR / "data" / "sellers.json"


class ProcessorSettings(CommonSettings):
    model_config = SettingsConfigDict(env_file=service_env_files(SERVICE_DIR), extra="ignore")

    http_port: int = Field(8001, ge=0, le=65535)
    grpc_server_port: int = Field(50051, ge=0, le=65535)
    # grpc.aio serves on the event loop; these threads only run sync handlers and blocking calls.
    grpc_max_workers: int = Field(10, ge=1, le=1000)
    grpc_grace_seconds: float = Field(5.0, ge=0)
    api_google_bot_url: str | None = None
    api_google_chat_url: str | None = None
    sellers_file: Path | None = DEMO_SELLERS_FILE
    search_radius_km: float = Field(1000.0, gt=0)
    edit_lock_seconds: int = Field(300, ge=1, le=3600)
    # A stream re-reads the log this often even without a local wake-up (another replica wrote).
    stream_poll_seconds: float = Field(2.0, gt=0)
    expiry_check_seconds: float = Field(5.0, gt=0)


@lru_cache
def get_settings() -> ProcessorSettings:
    return ProcessorSettings()

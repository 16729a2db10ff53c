"""pydantic-settings base: the seed's variable names, `.env.local` beside each service's main.py.

Environment variables override the file. Settings objects are built at start-up (each service's
cached `get_settings()`), never at import, so tests construct their own.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def service_env_files(service_dir: Path) -> tuple[Path, ...]:
    return (service_dir / ".env.local",)


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8")

    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    bind_host: str = Field("127.0.0.1", description="Interface the HTTP (and gRPC) servers listen on")
    http_port: int = Field(8000, ge=0, le=65535)
    # SQLite file under ./var by default; PostgreSQL in production: postgresql+asyncpg://...
    database_url: str = ""
    api_base_url: str | None = Field(None, description="Main API that holds order details (GET /orders/{id})")
    api_timeout_seconds: float = Field(5.0, gt=0)
    max_concurrent_tasks: int = Field(10, ge=1, le=10_000)
    order_expiry_minutes: float = Field(30, gt=0)
    find_max_sel: int = Field(10, ge=1, le=1000)

    def resolved_database_url(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        var = Path("var")
        var.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{(var / f'{service}.db').resolve()}"

"""Apply a service's Alembic migrations at start-up, on the service's own async engine."""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import WRITE


def _config(migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config


async def upgrade_to_head(engine: AsyncEngine, migrations_dir: Path) -> None:
    config = _config(migrations_dir)

    def _upgrade(connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.execution_options(**{WRITE: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together: one migrates, the others wait, then find nothing to do.
            await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_lock_key(migrations_dir)})")
        await connection.run_sync(_upgrade)


def _lock_key(migrations_dir: Path) -> int:
    return int.from_bytes(migrations_dir.parent.name.encode()[:7].ljust(7, b"_"), "big")


def run_env(target_metadata: MetaData) -> None:
    """Body of each service's migrations/env.py: online only, on the connection handed in."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through shared.db.migrate.upgrade_to_head(), at service start-up")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()

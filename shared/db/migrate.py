"""A service's Alembic migrations: applied at start-up on the service's own engine, or by the
`alembic` command line (`alembic -c processor/alembic.ini upgrade head`, see docs/operations.md)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from logging.config import fileConfig
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import WRITE, make_engine


def _config(migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config


async def upgrade_to_head(engine: AsyncEngine, migrations_dir: Path) -> None:
    config = _config(migrations_dir)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    await _in_locked_transaction(engine, migrations_dir, _upgrade)


async def _in_locked_transaction(engine: AsyncEngine, migrations_dir: Path, work: Callable[[Connection], None]) -> None:
    async with engine.execution_options(**{WRITE: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together (or a DBA's `alembic upgrade` beside them): one migrates,
            # the others wait, then find nothing to do.
            await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_lock_key(migrations_dir)})")
        await connection.run_sync(work)


def _lock_key(migrations_dir: Path) -> int:
    return int.from_bytes(migrations_dir.parent.name.encode()[:7].ljust(7, b"_"), "big")


def run_env(target_metadata: MetaData, default_url: Callable[[], str]) -> None:
    """Body of each service's migrations/env.py, for every way Alembic runs it.

    Start-up (upgrade_to_head) hands in its connection. The command line hands in none: the URL is
    `-x url=…`, else the ini's sqlalchemy.url, else default_url() (the service's own DATABASE_URL);
    online it migrates through the same locked transaction as start-up, offline (`--sql`) it only
    prints the SQL, for the URL's dialect, without connecting.
    """
    config = context.config

    def run(**target: Any) -> None:
        context.configure(target_metadata=target_metadata, render_as_batch=True, **target)
        with context.begin_transaction():  # inside the caller's transaction, when there is one
            context.run_migrations()

    if (connection := config.attributes.get("connection")) is not None:
        run(connection=connection)
        return
    if config.config_file_name and config.file_config.has_section("loggers"):
        fileConfig(config.config_file_name, disable_existing_loggers=False)  # the CLI's "Running upgrade …"
    url = (context.get_x_argument(as_dictionary=True).get("url")
           or config.get_main_option("sqlalchemy.url") or default_url())
    if context.is_offline_mode():
        run(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    else:
        asyncio.run(_migrate_url(url, Path(context.script.dir), lambda connection: run(connection=connection)))


async def _migrate_url(url: str, migrations_dir: Path, work: Callable[[Connection], None]) -> None:
    engine = make_engine(url, pool_size=1)  # the service's engine setup: async driver, SQLite pragmas
    try:
        await _in_locked_transaction(engine, migrations_dir, work)
    finally:
        await engine.dispose()

"""Async SQLAlchemy engine for SQLite (embedded default) or PostgreSQL (production)."""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.telemetry.tracing import instrument_engine

WRITE = "dcent_write"  # execution option: this transaction writes
LOCK_WAIT_SECONDS = 30  # the longest a statement waits for SQLite's write lock


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = _create_engine(url, pool_size)
    instrument_engine(engine)  # a span per statement, when tracing is on
    return engine


def _create_engine(url: str, pool_size: int) -> AsyncEngine:
    if not is_sqlite(url):
        return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)

    async def connect() -> aiosqlite.Connection:
        # cargs, cparams: the dialect's own reading of the URL, set below before any connection is made.
        database, *_ = cargs
        connection = _StoppableConnection(partial(sqlite3.connect, database, **cparams), iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
        return await connection

    engine = create_async_engine(url, async_creator=connect)
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams["timeout"] = LOCK_WAIT_SECONDS

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        # A deferred transaction that reads then writes can fail with "database is locked"
        # without waiting: writers (write_session) take the write lock up front and queue.
        # Reads stay deferred, so they never hold the lock, nor block writers.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


class _StoppableConnection(aiosqlite.Connection):
    """aiosqlite's connection, safe to close after it was stopped.

    A query cancelled mid-flight makes SQLAlchemy invalidate its connection: it starts a graceful
    close in a shielded task and, if cancelled again meanwhile (a service stopping, a loop closing),
    stops the worker thread at once. aiosqlite's graceful close then asks the stopped thread to stop
    again and waits for an answer that never comes: the task hangs, and so does the loop's shutdown
    that waits for it. Here a second stop is a no-op and a close after stop returns at once.
    """

    async def close(self) -> None:
        if self._running:
            await super().close()

    def stop(self) -> asyncio.Future[Any] | None:
        if not self._running:  # the worker already has its stop order; it ends after it
            return None
        return super().stop()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_writer_lock(sessions: async_sessionmaker) -> asyncio.Lock | None:
    """SQLite has one writer at a time. Queuing writers on an asyncio.Lock costs nothing; leaving
    it to SQLite's busy handler makes each waiting writer sleep-and-poll (1, 2, 5 … 100 ms), which
    under concurrent requests turned into most of a request's time."""
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        return None
    lock = engine.sync_engine.__dict__.get("_dcent_writer_lock")
    if lock is None:
        lock = engine.sync_engine.__dict__["_dcent_writer_lock"] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_session(sessions: async_sessionmaker) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that will write: commits on exit, rolls back on error."""
    lock = _sqlite_writer_lock(sessions)
    async with lock if lock is not None else nullcontext(), sessions() as session, session.begin():
        await session.connection(execution_options={WRITE: True})
        yield session

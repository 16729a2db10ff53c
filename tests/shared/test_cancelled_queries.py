"""A query cancelled mid-flight gives its connection back, and nothing is left waiting on it.

Each path that reads or writes in the background (a stream reader, the outbox relay, a group
commit) is cancelled while its statement is held inside the database, then cancelled again while
SQLAlchemy closes the invalidated connection, as a stopping service or a closing event loop does.
Afterwards no connection is checked out, no close is pending, and the engine disposes at once.
On SQLite this used to leave aiosqlite's close waiting forever for a thread that had stopped (the
loop's shutdown then hung on it); see shared.db.engine._StoppableConnection.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

from processor.app.store.tables import Base, Order, OrderEventRow, OutboxRow
from shared.db.engine import make_engine, make_sessionmaker, write_session
from shared.db.order_log import TailableOrderLog
from shared.messaging.outbox import Outbox, OutboxRelay
from shared.models.common import utcnow
from shared.utils.group_commit import GroupCommit


class SqliteHold:
    """Holds every statement inside SQLite's VM (a progress handler) until released."""

    def __init__(self, engine) -> None:
        self._holding = False
        self._entered = threading.Event()
        self._released = threading.Event()
        event.listen(engine.sync_engine, "connect", self._install)

    def _install(self, dbapi_conn, _record) -> None:
        sqlite_conn = dbapi_conn.driver_connection._connection  # the sqlite3 connection aiosqlite drives
        sqlite_conn.set_progress_handler(self._on_progress, 1)

    def _on_progress(self) -> int:
        if self._holding:
            self._entered.set()
            self._released.wait(10)
        return 0  # go on

    async def start(self) -> None:
        self._entered.clear()
        self._released.clear()
        self._holding = True

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self._entered.wait, 10), "no statement reached the database"

    async def release(self) -> None:
        self._holding = False
        self._released.set()


class PostgresHold:
    """Holds every statement on the test's tables behind an ACCESS EXCLUSIVE lock until released."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self._locker = None

    async def start(self) -> None:
        self._locker = await self._engine.connect()
        await self._locker.execute(text("BEGIN"))
        await self._locker.execute(text("LOCK TABLE orders, order_events, outbox IN ACCESS EXCLUSIVE MODE"))

    async def wait_entered(self) -> None:
        async with self._engine.connect() as probe:
            for _ in range(500):
                waiting = await probe.scalar(text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ))
                if waiting:
                    return
                await asyncio.sleep(0.02)
        raise AssertionError("no statement waited on the lock")

    async def release(self) -> None:
        if self._locker is not None:
            await self._locker.rollback()
            await self._locker.close()
            self._locker = None


async def reader(sessions) -> None:
    log = TailableOrderLog(sessions, Order, OrderEventRow, poll_seconds=60)
    async for _ in log.follow("ORD-1", 0):
        pass


async def relay(sessions) -> None:
    outbox = Outbox(OutboxRow)
    publisher = type("Silent", (), {"connect": _noop, "close": _noop, "send_batch": _noop})()
    await OutboxRelay(sessions, outbox, publisher, source="test", topic_names={}, batch_size=10,
                      poll_seconds=60, retention=timedelta(hours=1)).publish_once()


async def group_commit(sessions) -> None:
    async def apply(items: list[int], _contexts: list) -> list[int]:
        async with write_session(sessions) as session:
            await session.execute(insert(OutboxRow), [_outbox_values(i) for i in items])
        return items

    group: GroupCommit[int, int] = GroupCommit(apply)
    try:
        await group.submit(1)
    finally:
        await group.close()  # as the service's stop does: cancels the worker, mid-query here


async def _noop(*_args) -> tuple[int, None]:
    return 0, None


def _outbox_values(i: int) -> dict:
    return {"event_id": f"e-{i}", "topic": "T", "key": "K", "event_type": "X", "order_req_id": "ORD-1",
            "occurred_at": utcnow(), "payload": {}}


PATHS: dict[str, Callable] = {"stream reader": reader, "outbox relay": relay, "group commit": group_commit}


@pytest.mark.parametrize("path", PATHS)
async def test_a_path_cancelled_mid_query_returns_its_connection(make_db_url, db_backend, path):
    engine = make_engine(make_db_url("cancel"))
    try:
        hold = SqliteHold(engine) if db_backend == "sqlite" else PostgresHold(engine)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        sessions = make_sessionmaker(engine)
        await hold.start()
        try:
            task = asyncio.create_task(PATHS[path](sessions))
            await hold.wait_entered()
            task.cancel()              # mid-query: SQLAlchemy invalidates the connection and closes it
            await asyncio.sleep(0.05)
            task.cancel()              # and again while that close is under way
        finally:
            await hold.release()
        done, _ = await asyncio.wait({task}, timeout=10)
        assert done, f"the {path} did not end after being cancelled"
        assert task.cancelled() or isinstance(task.exception(), asyncio.CancelledError)

        assert engine.pool.checkedout() == 0, f"the {path} kept a connection: {engine.pool.status()}"
        left = await _tasks_left_after(5)
        assert not left, f"still waiting after the {path} was cancelled: {left}"
    finally:
        await asyncio.wait_for(engine.dispose(), 10)


async def _tasks_left_after(seconds: float) -> list[asyncio.Task]:
    """Other tasks of this loop still pending after `seconds` (cleared, so a failure cannot hang
    the loop's teardown: a stuck aiosqlite close swallows the first cancel)."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if not others:
        return []
    _, pending = await asyncio.wait(others, timeout=seconds)
    for _ in range(3):
        for stuck in pending:
            stuck.cancel()
        await asyncio.sleep(0.05)
    return list(pending)

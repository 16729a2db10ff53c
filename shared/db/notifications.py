"""Wake-ups pushed between replicas: PostgreSQL NOTIFY, sent inside the writing transaction (so it
is delivered on commit, and never for a change that rolled back), received on one LISTEN
connection per process.

A replica that commits wakes its own readers directly (with the events, no database read); the
notice is for the others, so each carries its sender's origin and a replica ignores its own.
After the listening connection is lost and made again, every channel is told notices may have
been missed (`data` None): its readers look at the database. SQLite is one process: nothing is
sent and nothing listens.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

log = logging.getLogger(__name__)
MAX_PAYLOAD = 7900  # PostgreSQL's limit is 8000 bytes per notice
Listener = Callable[[str | None], None]  # the notice's data; None: notices may have been missed


class Notifications:
    def __init__(self, engine: AsyncEngine, *, check_seconds: float = 5.0, retry_seconds: float = 1.0) -> None:
        self.enabled = engine.dialect.name == "postgresql"
        self.origin = secrets.token_hex(6)
        self._engine = engine
        self._check = check_seconds
        self._retry = retry_seconds
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._task: asyncio.Task | None = None
        self.received = 0
        self.listening = asyncio.Event()

    def on(self, channel: str, listener: Listener) -> None:
        """Call `listener` for each notice on `channel` from another replica (register before start)."""
        self._listeners[channel].append(listener)

    async def notify(self, session: AsyncSession, channel: str, items: Iterable[str] = ("",)) -> None:
        """Tell the other replicas about `items` when the session's transaction commits."""
        if not self.enabled:
            return
        for payload in _payloads(self.origin, items):
            await session.execute(text("SELECT pg_notify(:channel, :payload)"),
                                  {"channel": channel, "payload": payload})

    def start(self) -> None:
        if self.enabled and self._listeners and self._task is None:
            self._task = asyncio.create_task(self._listen(), name="pg-listen")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _listen(self) -> None:
        while True:
            try:
                async with self._engine.connect() as connection:
                    try:
                        await self._hold(connection)
                    finally:
                        self.listening.clear()
                        await connection.invalidate()  # its LISTENs must not go back to the pool
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("listening for other replicas' commits failed; retrying (readers poll meanwhile)",
                            exc_info=True)
            await asyncio.sleep(self._retry)

    async def _hold(self, connection: Any) -> None:
        driver = (await connection.get_raw_connection()).driver_connection  # the asyncpg connection
        for channel in self._listeners:
            await driver.add_listener(channel, self._received)
        self.listening.set()
        self._tell_all(None)  # anything sent while nobody listened: look at the database
        while True:
            await asyncio.sleep(self._check)
            await driver.execute("SELECT 1")  # raises once the connection is gone

    def _received(self, _connection: object, _pid: int, channel: str, payload: str) -> None:
        origin, _, data = payload.partition(" ")
        if origin == self.origin:
            return
        self.received += 1
        for item in data.split(",") if data else [""]:
            for listener in self._listeners.get(channel, ()):
                listener(item)

    def _tell_all(self, data: str | None) -> None:
        for listeners in self._listeners.values():
            for listener in listeners:
                listener(data)


def _payloads(origin: str, items: Iterable[str]) -> list[str]:
    """`origin item,item,…`, split so that no notice exceeds PostgreSQL's limit."""
    payloads: list[str] = []
    current: list[str] = []
    size = len(origin) + 1
    for item in items:
        if current and size + len(item) + 1 > MAX_PAYLOAD:
            payloads.append(f"{origin} {','.join(current)}")
            current, size = [], len(origin) + 1
        current.append(item)
        size += len(item) + 1
    if current:
        payloads.append(f"{origin} {','.join(current)}")
    return payloads

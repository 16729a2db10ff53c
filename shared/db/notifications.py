"""Wake-ups pushed between replicas: PostgreSQL NOTIFY after a commit, LISTEN on one connection
per process.

A replica that commits wakes its own readers directly (with the events, no database read);
`publish()` is for the others. It never waits and never fails the write: what was published
is sent shortly after, batched, on a connection of its own — not inside the writing
transaction, where every NOTIFY would take PostgreSQL's notify lock at commit (serialising all
such commits) and a stalled listener filling the notice queue would fail the writes themselves.
A notice that is lost (the connection drops, the queue is full) costs latency only: the
pollers are the safety net. Each notice carries its sender's origin, and a replica ignores its
own. After the listening connection is lost and made again, every listener is told notices may
have been missed (`data` None). SQLite is one process: nothing is sent and nothing listens.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
MAX_PAYLOAD = 7900  # PostgreSQL's limit is 8000 bytes per notice
MAX_PENDING = 10_000  # items waiting per channel; beyond, the channel's listeners are told "everything"
EVERYTHING = "*"  # an item meaning: look at everything (the listener gets None)
Listener = Callable[[str | None], None]  # the notice's item; None: look at everything


class Notifications:
    def __init__(self, engine: AsyncEngine, *, check_seconds: float = 5.0, retry_seconds: float = 1.0) -> None:
        self.enabled = engine.dialect.name == "postgresql"
        self.origin = secrets.token_hex(6)
        self._engine = engine
        self._check = check_seconds
        self._retry = retry_seconds
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._pending: dict[str, set[str]] = defaultdict(set)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.received = 0
        self.sent = 0
        self.listening = asyncio.Event()

    def on(self, channel: str, listener: Listener) -> None:
        """Call `listener` for each item announced on `channel` by another replica (register before start)."""
        self._listeners[channel].append(listener)

    def publish(self, channel: str, items: Iterable[str] = (EVERYTHING,)) -> None:
        """Tell the other replicas about `items`, soon; call after the commit that concerns them."""
        if not self.enabled or not self._tasks:
            return
        pending = self._pending[channel]
        pending.update(items)
        if len(pending) > MAX_PENDING:
            pending.clear()
            pending.add(EVERYTHING)
        self._wake.set()

    def start(self) -> None:
        if self.enabled and not self._tasks:
            self._tasks = [asyncio.create_task(self._send(), name="pg-notify")]
            if self._listeners:
                self._tasks.append(asyncio.create_task(self._listen(), name="pg-listen"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # --- sending ---------------------------------------------------------------------------

    async def _send(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, defaultdict(set)
            try:
                async with self._engine.connect() as connection:
                    for channel, items in batch.items():
                        for payload in _payloads(self.origin, sorted(items)):
                            await connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                                                     {"channel": channel, "payload": payload})
                            self.sent += 1
                    await connection.commit()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not notify the other replicas; their pollers will catch up", exc_info=True)
                await asyncio.sleep(self._retry)

    # --- listening -------------------------------------------------------------------------

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
        self._tell_all()  # anything sent while nobody listened: look at the database
        while True:
            await asyncio.sleep(self._check)
            async with asyncio.timeout(self._check):
                await driver.execute("SELECT 1")  # raises once the connection is gone

    def _received(self, _connection: object, _pid: int, channel: str, payload: str) -> None:
        origin, _, data = payload.partition(" ")
        if origin == self.origin:
            return
        self.received += 1
        for item in data.split(","):
            for listener in self._listeners.get(channel, ()):
                listener(None if item == EVERYTHING else item)

    def _tell_all(self) -> None:
        for listeners in self._listeners.values():
            for listener in listeners:
                listener(None)


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

"""Work that must run once per database (the outbox relay, the expiry sweeper): elected by a
PostgreSQL advisory lock.

Each replica runs `Leadership.run(job)`. One of them holds the session-level advisory lock
`pg_try_advisory_lock(key)` on a connection of its own and runs the job; the others try again
every `retry_seconds`. The lock lives as long as its connection: a holder that crashes or is
SIGKILLed loses it when PostgreSQL sees the socket close, and a standby takes over at its next
try. The holder checks its connection every `retry_seconds` too, and stops the job the moment
the connection (so the lock) is gone, so two replicas never run it at once for longer than that
check. SQLite is one process: the job simply runs.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a job's name (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    def __init__(self, engine: AsyncEngine, name: str, *, retry_seconds: float = 1.0) -> None:
        self._engine = engine
        self._name = name
        self._key = lock_key(name)
        self._retry = retry_seconds
        self.leading = engine.dialect.name == "sqlite"

    async def run(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `job` whenever this replica holds the lock; forever (cancel to stop)."""
        if self._engine.dialect.name == "sqlite":
            await job()
            return
        while True:
            try:
                async with self._engine.connect() as connection:
                    if await self._try_lock(connection):
                        await self._lead(connection, job)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: nobody leads through this replica meanwhile
                log.warning("%s: leadership check failed; retrying", self._name, exc_info=True)
            finally:
                self.leading = False
            await asyncio.sleep(self._retry)

    async def _try_lock(self, connection: AsyncConnection) -> bool:
        locked = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
        await connection.commit()  # the lock is the session's, not the transaction's: it stays
        return bool(locked)

    async def _lead(self, connection: AsyncConnection, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.leading = True
        log.info("%s: this replica leads", self._name)
        work = asyncio.create_task(job(), name=f"{self._name}-leader")
        try:
            while not work.done():
                done, _ = await asyncio.wait({work}, timeout=self._retry)
                if not done:
                    await connection.scalar(text("SELECT 1"))  # raises when the lock's connection is gone
                    await connection.commit()
            await work  # a job that ended (or failed) by itself: let the next try start it again
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
            log.info("%s: this replica no longer leads", self._name)
            # Closed, not returned to the pool: a pooled connection would keep holding the lock.
            await connection.invalidate()

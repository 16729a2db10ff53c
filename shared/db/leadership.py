"""Work that must run once per database (the outbox relay, the expiry sweeper): elected by a
PostgreSQL advisory lock.

Each replica runs `Leadership.run(job)`. One of them holds the session-level advisory lock
`pg_try_advisory_lock(key)` on a connection of its own and runs the job; the others try again
every `retry_seconds`. The lock lives as long as its connection: a holder that crashes or is
SIGKILLed loses it when PostgreSQL sees the socket close, and a standby takes over at its next
try. The holder checks its connection every `retry_seconds` (each check bounded by
`check_timeout`) and stops the job when it fails. PostgreSQL itself drops a silent client's
session only after TCP keepalives fail (set short on this connection, and longer than the
holder's own check): a holder cut off from the database stops its job before anyone else can
take the lock. A session the server ends itself (pg_terminate_backend, a restart) frees the lock
at once: a standby may then start before the holder's next check stops it, an overlap of at most
`retry_seconds` that the jobs tolerate (the relay is at least once; the sweeper and the Chat sender
act on rows). The lock is let go only after the job has ended — at `stop()` the job finishes
its last work (the relay drains) while still holding it. SQLite is one process: the job runs.
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
Job = Callable[[], Coroutine[Any, Any, None]]
# The server drops a silent holder after 5 + 3 × 2 = 11 s; the holder gives up after 1 + 3 s.
KEEPALIVES = ("SET tcp_keepalives_idle = 5", "SET tcp_keepalives_interval = 2", "SET tcp_keepalives_count = 3")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a job's name (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    def __init__(self, engine: AsyncEngine, name: str, *, retry_seconds: float = 1.0,
                 check_timeout: float = 3.0) -> None:
        self._engine = engine
        self._name = name
        self._key = lock_key(name)
        self._retry = retry_seconds
        self._check_timeout = check_timeout
        self._work: asyncio.Task | None = None
        self._stopping = False
        self.leading = False

    async def run(self, job: Job) -> None:
        """Run `job` whenever this replica holds the lock, until `stop()`."""
        if self._engine.dialect.name == "sqlite":
            self.leading = True
            self._work = asyncio.create_task(self._run_job(job), name=f"{self._name}-leader")
            await self._work
            return
        while not self._stopping:
            try:
                async with self._engine.connect() as connection:
                    try:
                        if await self._try_lock(connection) and not self._stopping:
                            await self._lead(connection, job)
                    finally:
                        self.leading = False
                        # Closed, not returned to the pool: a pooled connection would keep holding the lock.
                        await connection.invalidate()
            except Exception:  # the database went away: nobody leads through this replica meanwhile
                log.warning("%s: could not take or hold the lock; retrying", self._name, exc_info=True)
            if not self._stopping:
                await asyncio.sleep(self._retry)

    async def stop(self) -> None:
        """End the job (it may finish its last work while the lock is still held); no new term starts."""
        self._stopping = True
        if self._work is not None:
            self._work.cancel()

    async def _try_lock(self, connection: AsyncConnection) -> bool:
        for setting in KEEPALIVES:
            await connection.exec_driver_sql(setting)
        locked = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
        await connection.commit()  # the lock is the session's, not the transaction's: it stays
        return bool(locked)

    async def _lead(self, connection: AsyncConnection, job: Job) -> None:
        self.leading = True
        log.info("%s: this replica leads", self._name)
        work = self._work = asyncio.create_task(self._run_job(job), name=f"{self._name}-leader")
        try:
            while not work.done():
                done, _ = await asyncio.wait({work}, timeout=self._retry)
                if not done:
                    async with asyncio.timeout(self._check_timeout):
                        await connection.scalar(text("SELECT 1"))  # fails once the lock's connection is gone
                    await connection.commit()
        finally:
            if not work.done():  # the connection failed: the lock may be someone else's soon
                work.cancel()
            await asyncio.gather(work, return_exceptions=True)  # ended before the lock is let go
            self._work = None
            log.info("%s: this replica no longer leads", self._name)

    async def _run_job(self, job: Job) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
        except Exception:
            log.exception("%s failed; it starts again at the next term", self._name)

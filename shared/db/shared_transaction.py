"""Many small changes, one commit: concurrent units of work run one after another inside a
shared write transaction, each in its own SAVEPOINT, and the transaction commits as soon as no
unit is waiting for its turn (or after `max_units`).

When idle, a unit commits alone, as before. Under load, the units that queue up while one runs
share the next commit, so BEGIN/COMMIT and the session's set-up are paid once per batch. A unit
that raises rolls back to its savepoint only; the others still commit. A unit's caller returns
only after the commit that holds its change (or gets the commit's error: then nothing of the
batch was written).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.engine import write_session


class _Batch:
    def __init__(self, exit_stack: AsyncExitStack, session: AsyncSession) -> None:
        self.exit_stack = exit_stack
        self.session = session
        self.units = 0
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def begin(cls, sessions: async_sessionmaker[AsyncSession]) -> _Batch:
        exit_stack = AsyncExitStack()
        return cls(exit_stack, await exit_stack.enter_async_context(write_session(sessions)))

    async def commit(self) -> None:
        try:
            await self.exit_stack.aclose()
        except BaseException as exc:  # noqa: BLE001 - handed to every unit of the batch
            self.committed.set_exception(exc)
            self.committed.exception()  # retrieved: no "never retrieved" warning if nobody waits
        else:
            self.committed.set_result(None)


class SharedTransaction:
    def __init__(self, sessions: async_sessionmaker, *, max_units: int = 200) -> None:
        self._sessions = sessions
        self._max_units = max_units
        self._turn = asyncio.Lock()
        self._waiting = 0
        self._open: _Batch | None = None
        self._background: set[asyncio.Task] = set()

    async def _commit_left_open(self) -> None:
        async with self._turn:
            if self._open is not None and self._waiting == 0:
                batch, self._open = self._open, None
                await batch.commit()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        self._waiting += 1
        try:
            await self._turn.acquire()
        except asyncio.CancelledError:
            # The unit before us may have left its batch open for us to join and commit: since
            # we leave, commit it (else its callers wait until some other unit comes along).
            self._waiting -= 1
            if self._open is not None:
                task = asyncio.get_running_loop().create_task(self._commit_left_open())
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            raise
        self._waiting -= 1
        batch = None
        try:
            if self._open is None:
                self._open = await _Batch.begin(self._sessions)
            batch = self._open
            batch.units += 1
            async with batch.session.begin_nested():
                yield batch.session
        finally:
            if batch is not None and (self._waiting == 0 or batch.units >= self._max_units):
                self._open = None
                await batch.commit()
            self._turn.release()
        await asyncio.shield(batch.committed)

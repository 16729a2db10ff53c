"""Group commit: callers submit items one by one; a single worker applies whatever has queued
up meanwhile as one batch (one transaction), and answers each caller with its own outcome.

Under load, batches grow by themselves (while one commits, the next fills); when idle, an item
is applied alone at once. An outcome that is an exception is raised to its caller only; a batch
that fails as a whole fails every caller in it, and nothing of it was committed.

The worker runs in a context of its own, and the batch function gets each item's submitter's
context beside it (`contexts`): what an item writes on behalf of its caller (its trace, its log
ids) is run in that context (`contexts[n].run(...)`), never in whichever caller started the worker.
"""
from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class GroupCommit(Generic[Item, Outcome]):
    def __init__(
        self,
        apply_batch: Callable[[list[Item], list[contextvars.Context]], Awaitable[Sequence[Outcome | Exception]]],
        *, max_batch: int = 500,
    ) -> None:
        self._apply_batch = apply_batch
        self._max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Outcome], contextvars.Context]] = []
        self._ready = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._in_flight: list[tuple[Item, asyncio.Future[Outcome], contextvars.Context]] = []

    async def submit(self, item: Item) -> Outcome:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="group-commit", context=contextvars.Context())
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future, contextvars.copy_context()))
        self._ready.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
                live = self._in_flight = [entry for entry in batch if not entry[1].cancelled()]
                if not live:
                    continue
                outcomes: Sequence[Outcome | Exception]
                try:
                    outcomes = await self._apply_batch([item for item, _, _ in live], [ctx for _, _, ctx in live])
                except Exception as exc:  # noqa: BLE001 - nothing of the batch is committed: each caller retries
                    outcomes = [exc] * len(live)
                self._in_flight = []
                for (_, future, _), outcome in zip(live, outcomes, strict=True):  # one outcome per item
                    if future.done():
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        for _, future, _ in [*self._in_flight, *self._pending]:
            future.cancel()
        self._pending.clear()

"""Heavy work (selection, notifications, stream opening) queued by priority and run bounded.

`asyncio.PriorityQueue` orders jobs by (priority class, deadline, arrival); a dispatcher starts
each with `asyncio.create_task` once the `asyncio.Semaphore` of MAX_CONCURRENT_TASKS lets it.
Control actions (finalize, pause) jump ahead of new work; among equals, the earlier deadline
(an order's expiry) goes first. Events of one order are never reordered by this: they carry
their `seq` from the event log.

At most MAX_QUEUED_TASKS jobs wait: when that many do, `submit` refuses new work with Overloaded
(503 with Retry-After at the HTTP edge, UNAVAILABLE over gRPC) instead of letting the backlog and
its callers' waits grow without bound; the caller was told before anything was done. Two kinds of
job are admitted past the bound: CONTROL jobs (finalize, pause, resume, expiry), which end or hold
orders and so shed load, come one per buyer action or expiring order, and run first, so they never
pile up; and jobs submitted with `always_admit=True` by a producer that bounds itself and whose
work nobody could retry (the Chat sender: only POSTs in flight, at most half the slots, are in
here; waiting notices, pacing and retry sleeps stay in its own bounded queues).
"""
from __future__ import annotations

import asyncio
import contextvars
import itertools
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, TypeVar

from shared.errors import Overloaded

T = TypeVar("T")


class Priority(IntEnum):
    CONTROL = 0  # finalize, pause, resume, expiry
    INTERACTIVE = 1  # follow-ups, a buyer waiting on an answer
    NEW_WORK = 2  # seller selection for a new order, opening streams
    BACKGROUND = 3  # notification fan-out


@dataclass(order=True)
class _Job:
    priority: int
    deadline: float
    arrival: int
    run: Callable[[], Awaitable[Any]] = field(compare=False)
    future: asyncio.Future = field(compare=False)
    name: str = field(compare=False, default="")
    # The submitter's context (its trace span, request and order ids) is the job's: the job runs
    # in a task the dispatcher starts, which would otherwise inherit the dispatcher's.
    context: contextvars.Context = field(compare=False, default_factory=contextvars.copy_context)


class PriorityTaskQueue:
    def __init__(self, max_concurrent: int, max_queued: int = 10_000) -> None:
        self._queue: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._slots = asyncio.Semaphore(max_concurrent)
        self._arrivals = itertools.count()
        self._running: set[asyncio.Task] = set()
        self._dispatcher: asyncio.Task | None = None
        self._waiting: Counter[int] = Counter()  # jobs queued, by priority class (for /metrics)
        self.max_concurrent = max_concurrent
        self.max_queued = max_queued

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def pending_by_priority(self) -> dict[Priority, int]:
        """How many of the `pending` jobs wait in each priority class."""
        return {priority: self._waiting[priority] for priority in Priority}

    @property
    def running(self) -> int:
        return len(self._running)

    def start(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="priority-task-dispatcher")

    def submit(
        self,
        run: Callable[[], Awaitable[T]],
        *,
        priority: Priority,
        deadline: float = math.inf,
        name: str = "",
        always_admit: bool = False,
    ) -> asyncio.Future[T]:
        """Queue `run()`; the returned future resolves with its result (await it, or don't).
        Raises Overloaded when MAX_QUEUED_TASKS jobs wait (not for CONTROL or `always_admit`)."""
        if self.pending >= self.max_queued and priority != Priority.CONTROL and not always_admit:
            raise Overloaded(f"the server is overloaded: its work queue is full "
                             f"(MAX_QUEUED_TASKS={self.max_queued} jobs waiting); retry shortly")
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(int(priority), deadline, next(self._arrivals), run, future, name))
        self._waiting[priority] += 1
        return future

    async def run(
        self, run: Callable[[], Awaitable[T]], *, priority: Priority, deadline: float = math.inf, name: str = "",
        always_admit: bool = False,
    ) -> T:
        return await self.submit(run, priority=priority, deadline=deadline, name=name, always_admit=always_admit)

    async def _dispatch(self) -> None:
        while True:
            await self._slots.acquire()
            job = await self._queue.get()
            self._waiting[job.priority] -= 1
            if job.future.cancelled():
                self._slots.release()
                continue
            task = asyncio.create_task(self._execute(job), name=job.name or "queued-job", context=job.context)
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _execute(self, job: _Job) -> None:
        try:
            result = await job.run()
        except asyncio.CancelledError:
            if not job.future.done():
                job.future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - handed to whoever awaits the future
            if not job.future.done():
                job.future.set_exception(exc)
        else:
            if not job.future.done():
                job.future.set_result(result)
        finally:
            self._slots.release()

    async def close(self) -> None:
        if self._dispatcher:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
            self._dispatcher = None
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        while not self._queue.empty():
            self._queue.get_nowait().future.cancel()
        self._waiting.clear()


"""The priority queue: control work first, earlier deadline first, never more than the bound at once."""
import asyncio
import contextvars

import pytest

from shared.errors import Overloaded
from shared.utils.task_queue import Priority, PriorityTaskQueue


async def test_jobs_run_by_priority_then_deadline():
    queue = PriorityTaskQueue(max_concurrent=1)
    order: list[str] = []
    gate = asyncio.Event()

    async def blocker():
        await gate.wait()

    def job(name):
        async def run():
            order.append(name)
        return run

    first = queue.submit(blocker, priority=Priority.NEW_WORK)
    queue.start()
    await asyncio.sleep(0)
    pending = [
        queue.submit(job("new-late"), priority=Priority.NEW_WORK, deadline=200),
        queue.submit(job("background"), priority=Priority.BACKGROUND),
        queue.submit(job("new-early"), priority=Priority.NEW_WORK, deadline=100),
        queue.submit(job("control"), priority=Priority.CONTROL),
    ]
    gate.set()
    await asyncio.gather(first, *pending)
    await queue.close()
    assert order == ["control", "new-early", "new-late", "background"]


async def test_concurrency_is_bounded_and_results_and_errors_reach_the_caller():
    queue = PriorityTaskQueue(max_concurrent=3)
    queue.start()
    running = peak = 0

    async def work(i):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        if i == 5:
            raise ValueError("five")
        return i * 2

    results = await asyncio.gather(
        *(queue.submit(lambda i=i: work(i), priority=Priority.NEW_WORK) for i in range(12)), return_exceptions=True
    )
    await queue.close()
    assert peak == 3
    assert results[4] == 8 and isinstance(results[5], ValueError)


async def test_a_full_queue_refuses_new_work_but_admits_control_actions():
    queue = PriorityTaskQueue(max_concurrent=1, max_queued=2)
    gate = asyncio.Event()
    running = queue.submit(gate.wait, priority=Priority.NEW_WORK)
    queue.start()
    await asyncio.sleep(0)  # taken by the dispatcher: running, no longer waiting
    waiting = [queue.submit(gate.wait, priority=p) for p in (Priority.NEW_WORK, Priority.INTERACTIVE)]
    assert queue.pending == 2

    for priority in (Priority.INTERACTIVE, Priority.NEW_WORK, Priority.BACKGROUND):
        with pytest.raises(Overloaded) as refused:
            queue.submit(gate.wait, priority=priority)
        assert (refused.value.http_status, refused.value.retry_after_seconds) == (503, 1)
        assert "MAX_QUEUED_TASKS=2" in refused.value.reason
    with pytest.raises(Overloaded):
        await queue.run(gate.wait, priority=Priority.NEW_WORK)
    # Control actions (finalize, pause, resume, expiry) are admitted past the bound, and so is a
    # producer that bounds itself (the Chat sender: one delivery per space at a time).
    admitted = [queue.submit(gate.wait, priority=Priority.CONTROL),
                queue.submit(gate.wait, priority=Priority.BACKGROUND, always_admit=True)]
    assert queue.pending == 4
    assert queue.pending_by_priority() == {Priority.CONTROL: 1, Priority.INTERACTIVE: 1, Priority.NEW_WORK: 1,
                                           Priority.BACKGROUND: 1}

    gate.set()
    await asyncio.gather(running, *waiting, *admitted)
    assert queue.pending == 0 and set(queue.pending_by_priority().values()) == {0}
    assert await queue.run(lambda: asyncio.sleep(0, "room again"), priority=Priority.NEW_WORK) == "room again"
    await queue.close()


async def test_a_job_runs_in_its_submitters_context():
    """The request's trace span and log ids follow its queued work (not the dispatcher's, empty)."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")
    queue = PriorityTaskQueue(max_concurrent=2)
    queue.start()

    async def submit_as(rid: str) -> str:
        request_id.set(rid)
        return await queue.run(lambda: asyncio.sleep(0, request_id.get()), priority=Priority.NEW_WORK)

    try:
        assert await asyncio.gather(submit_as("a"), submit_as("b")) == ["a", "b"]
    finally:
        await queue.close()

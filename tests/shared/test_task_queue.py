"""The priority queue: control work first, earlier deadline first, never more than the bound at once."""
import asyncio

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

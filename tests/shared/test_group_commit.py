"""Group commit: items submitted meanwhile are applied together; each caller gets its own outcome."""
import asyncio
import contextvars

import pytest

from shared.utils.group_commit import GroupCommit


class Recorder:
    def __init__(self, fail_whole: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail_whole = fail_whole

    async def __call__(self, items: list[int], _contexts: list) -> list:
        self.batches.append(items)
        await asyncio.sleep(0.01)  # a commit takes a while: the next batch fills meanwhile
        if self.fail_whole:
            raise ConnectionError("database went away")
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]


async def test_items_queued_during_a_commit_share_the_next_one():
    recorder = Recorder()
    group = GroupCommit(recorder, max_batch=50)
    results = await asyncio.gather(*(group.submit(i) for i in range(0, 200, 2)))
    assert results == [i * 10 for i in range(0, 200, 2)]
    assert sorted(i for batch in recorder.batches for i in batch) == list(range(0, 200, 2))
    assert len(recorder.batches) <= 4 and max(map(len, recorder.batches)) <= 50
    await group.close()


async def test_a_refused_item_fails_only_its_caller():
    group = GroupCommit(Recorder())
    outcomes = await asyncio.gather(group.submit(2), group.submit(3), group.submit(4), return_exceptions=True)
    assert outcomes[0] == 20 and outcomes[2] == 40
    assert isinstance(outcomes[1], ValueError)
    await group.close()


async def test_a_failed_batch_fails_every_caller_in_it():
    group = GroupCommit(Recorder(fail_whole=True))
    outcomes = await asyncio.gather(*(group.submit(i) for i in (2, 4)), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    await group.close()


async def test_close_cancels_waiting_callers():
    group = GroupCommit(Recorder())
    waiting = asyncio.create_task(group.submit(2))
    await asyncio.sleep(0)
    await group.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_each_item_is_written_in_its_own_submitters_context_not_the_first_callers():
    """What an item writes carries its own caller's trace and log ids, whoever started the worker."""
    caller: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="nobody")
    seen: list[tuple[str, str]] = []

    async def apply(items: list[str], contexts: list[contextvars.Context]) -> list[str]:
        seen.extend((item, ctx.run(caller.get)) for item, ctx in zip(items, contexts, strict=True))
        seen.append(("worker", caller.get()))
        return items

    group = GroupCommit(apply)

    async def submit_as(name: str) -> str:
        caller.set(name)
        return await group.submit(name)

    try:
        assert await asyncio.gather(*(submit_as(n) for n in ("a", "b", "c"))) == ["a", "b", "c"]
        assert await submit_as("d") == "d"
    finally:
        await group.close()
    assert [s for s in seen if s[0] != "worker"] == [("a", "a"), ("b", "b"), ("c", "c"), ("d", "d")]
    assert {name for item, name in seen if item == "worker"} == {"nobody"}

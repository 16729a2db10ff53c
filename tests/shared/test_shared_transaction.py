"""Units of work that arrive together share one commit; each unit's failure is its own; a unit
left waiting for a caller that gave up still commits."""
import asyncio

import pytest
from sqlalchemy import String, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.engine import make_engine, make_sessionmaker
from shared.db.shared_transaction import SharedTransaction


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    text: Mapped[str] = mapped_column(String(20), primary_key=True)


@pytest.fixture
async def parts(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/shared.db")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    commits = [0]
    event.listen(engine.sync_engine, "commit", lambda _conn: commits.__setitem__(0, commits[0] + 1))
    yield make_sessionmaker(engine), commits
    await engine.dispose()


async def stored(sessions) -> list[str]:
    async with sessions() as session:
        return sorted(await session.scalars(select(Note.text)))


async def test_units_arriving_together_share_a_commit_and_fail_alone(parts):
    sessions, commits = parts
    shared = SharedTransaction(sessions)

    async def write(text: str) -> None:
        async with shared.unit() as session:
            session.add(Note(text=text))
            await session.flush()
            if text == "bad":
                raise ValueError("this unit fails")

    results = await asyncio.gather(*(write(t) for t in ["a", "b", "bad", "c", "d"]), return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType", "NoneType", "ValueError", "NoneType", "NoneType"]
    assert await stored(sessions) == ["a", "b", "c", "d"]
    assert commits[0] < 4, f"{commits[0]} commits for 4 units that arrived together"


async def test_a_unit_left_for_a_waiter_that_gave_up_still_commits(parts):
    sessions, _ = parts
    shared = SharedTransaction(sessions)
    first_inside, release_first = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with shared.unit() as session:
            session.add(Note(text="first"))
            first_inside.set()
            await release_first.wait()

    async def second() -> None:
        async with shared.unit() as session:
            session.add(Note(text="second"))

    first_task = asyncio.create_task(first())
    await first_inside.wait()
    second_task = asyncio.create_task(second())
    await asyncio.sleep(0.05)  # second waits for its turn
    release_turn = shared._turn.release

    def release_then_cancel_the_waiter() -> None:
        # first, seeing second wait, leaves its batch open for it; second gives up before its turn.
        release_turn()
        second_task.cancel()

    shared._turn.release = release_then_cancel_the_waiter
    release_first.set()
    await asyncio.wait_for(first_task, 5)  # without the hand-back, first waits for a commit forever
    assert await stored(sessions) == ["first"]

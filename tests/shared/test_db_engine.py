"""SQLite: readers never hold the write lock; writers take it up front and queue."""
import asyncio

from sqlalchemy import text

from shared.db.engine import make_engine, make_sessionmaker, write_session


async def test_an_open_read_does_not_block_a_writer_and_writers_queue(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    sessions = make_sessionmaker(engine)
    async with write_session(sessions) as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
    try:
        async with sessions() as reader:
            await reader.execute(text("SELECT count(*) FROM t"))  # a read transaction stays open
            async with asyncio.timeout(2):
                async with write_session(sessions) as writer:
                    await writer.execute(text("INSERT INTO t VALUES (1)"))

        order: list[str] = []

        async def write(name: str, hold: float):
            async with write_session(sessions) as writer:
                order.append(f"{name} in")
                await writer.execute(text("INSERT INTO t VALUES (2)"))
                await asyncio.sleep(hold)
                order.append(f"{name} out")

        await asyncio.gather(write("first", 0.2), write("second", 0))
        assert order in (["first in", "first out", "second in", "second out"],
                         ["second in", "second out", "first in", "first out"])
    finally:
        await engine.dispose()

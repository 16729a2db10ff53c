"""What lets replicas share one PostgreSQL (issue 16): commit notices pushed to the other
replicas, and work elected to run on one replica at a time with takeover when its holder dies."""
import asyncio

import pytest
from sqlalchemy import text

from shared.db.engine import make_engine
from shared.db.leadership import Leadership
from shared.db.notifications import MAX_PAYLOAD, Notifications, _payloads

pytestmark = pytest.mark.usefixtures("db_backend")


async def wait_for(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def test_a_long_notice_is_split_under_postgres_limit():
    items = [f"ORD-{n:06d}" for n in range(2000)]
    payloads = _payloads("origin", items)
    assert len(payloads) > 1 and all(len(p) <= MAX_PAYLOAD for p in payloads)
    assert [i for p in payloads for i in p.partition(" ")[2].split(",")] == items


async def test_a_replica_tells_the_others_not_itself(make_db_url, db_backend):
    url = make_db_url("notices")
    writer_engine, reader_engine = make_engine(url), make_engine(url)
    writer, reader = Notifications(writer_engine), Notifications(reader_engine)
    heard: dict[str, list] = {"writer": [], "reader": []}
    writer.on("orders", heard["writer"].append)
    reader.on("orders", heard["reader"].append)
    try:
        if db_backend == "sqlite":  # one process: nothing is sent, nothing listens
            writer.start()
            writer.publish("orders", ["ORD-1"])
            await asyncio.sleep(0.1)
            assert not writer.enabled and heard == {"writer": [], "reader": []}
            return
        writer.start()
        reader.start()
        await asyncio.wait_for(asyncio.gather(writer.listening.wait(), reader.listening.wait()), 10)
        await wait_for(lambda: heard["reader"] == [None])  # on (re)connecting: "look at the database"
        heard["writer"].clear()
        heard["reader"].clear()

        writer.publish("orders", ["ORD-1", "ORD-2"])
        writer.publish("orders", ["ORD-2"])  # published again before it went out: sent once
        await wait_for(lambda: sorted(heard["reader"]) == ["ORD-1", "ORD-2"])
        writer.publish("orders")  # "look at everything"
        await wait_for(lambda: len(heard["reader"]) == 3)
        await asyncio.sleep(0.2)
        assert heard == {"writer": [], "reader": [*heard["reader"][:2], None]}
        assert sorted(heard["reader"][:2]) == ["ORD-1", "ORD-2"]
    finally:
        await writer.close()
        await reader.close()
        await writer_engine.dispose()
        await reader_engine.dispose()


async def test_one_replica_leads_and_another_takes_over_when_its_connection_dies(make_db_url, db_backend):
    url = make_db_url("leader")
    engines = [make_engine(url), make_engine(url)]
    running: list[int] = []
    started: list[int] = []
    overlaps: list[tuple[int, list[int]]] = []

    def job(n: int):
        async def run() -> None:
            if running:
                overlaps.append((n, list(running)))
            running.append(n)
            started.append(n)
            try:
                await asyncio.Event().wait()
            finally:
                running.remove(n)
        return run

    leaderships = [Leadership(engine, "test-relay", retry_seconds=0.1) for engine in engines]
    tasks = [asyncio.create_task(leadership.run(job(n))) for n, leadership in enumerate(leaderships)]
    try:
        if db_backend == "sqlite":  # one process: the job simply runs
            await wait_for(lambda: len(running) == 2)
            return
        await wait_for(lambda: len(running) == 1)
        await asyncio.sleep(0.5)
        assert len(running) == 1, "two replicas lead at once"
        first = running[0]

        assert overlaps == [], "two replicas led at once"
        # The leader's database session ends (as when its process is SIGKILLed, or its network):
        # it stops its job, and a leader — the standby, or itself again — is elected within seconds.
        # The server frees the lock at once, so the standby may start before the old leader's next
        # check (retry_seconds) stops it: that short overlap is what the relay's at-least-once
        # absorbs. Afterwards exactly one leads.
        async with engines[1 - first].connect() as admin:  # this test's database only
            await admin.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
            await admin.commit()
        await wait_for(lambda: len(started) == 2 and len(running) == 1)
        assert [leadership.leading for leadership in leaderships].count(True) == 1
        overlaps.clear()

        # The leader stops for good (its replica shuts down): the other leads, only after its job ended.
        leader = running[0]
        tasks[leader].cancel()
        await wait_for(lambda: running == [1 - leader])
        assert overlaps == [], "two replicas led at once"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.dispose()


async def test_a_stopping_leader_finishes_its_last_work_before_another_takes_over(make_db_url, db_backend):
    if db_backend == "sqlite":
        pytest.skip("one process: there is no other replica")
    url = make_db_url("handover")
    engines = [make_engine(url), make_engine(url)]
    events: list[str] = []

    def job(n: int):
        async def run() -> None:
            events.append(f"{n} leads")
            try:
                await asyncio.Event().wait()
            finally:  # as the relay drains at shutdown: still the only one
                await asyncio.sleep(0.5)
                events.append(f"{n} drained")
        return run

    leaderships = [Leadership(engine, "test-handover", retry_seconds=0.05) for engine in engines]
    tasks = [asyncio.create_task(leadership.run(job(n))) for n, leadership in enumerate(leaderships)]
    try:
        await wait_for(lambda: len(events) == 1)
        first = int(events[0].split()[0])
        await leaderships[first].stop()
        await asyncio.wait_for(tasks[first], 5)
        await wait_for(lambda: len(events) == 3)
        assert events == [f"{first} leads", f"{first} drained", f"{1 - first} leads"]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.dispose()

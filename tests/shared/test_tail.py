"""Replay-then-tail: committed events handed over on wake-up are sent without a database read;
a gap, an overflow or a bare wake-up falls back to the database."""
import asyncio
from datetime import UTC, datetime

from shared.db.tail import Subscription, Wakeups, tail
from shared.models.events import OrderEvent, OrderStatusPayload
from shared.models.states import EventType, OrderState

WHEN = datetime(2026, 11, 27, tzinfo=UTC)


def event(seq: int) -> OrderEvent:
    return OrderEvent(order_req_id="ORD-1", seq=seq, event_id=f"e-{seq}", event_type=EventType.ORDER_PAUSED,
                      occurred_at=WHEN, payload=OrderStatusPayload(state=OrderState.PAUSED))


class Log:
    def __init__(self, stored: int) -> None:
        self.stored = [event(s) for s in range(1, stored + 1)]
        self.reads = 0

    async def read_after(self, _order: str, after: int) -> list[OrderEvent]:
        self.reads += 1
        return [e for e in self.stored if e.seq > after]

    def commit(self, wakeups: Wakeups, *seqs: int, hand_over: bool = True) -> None:
        new = [event(s) for s in seqs]
        self.stored += new
        wakeups.notify("ORD-1", new if hand_over else ())


async def collect(reader, count: int) -> list[int]:
    return [(await anext(reader)).seq for _ in range(count)]


async def test_handed_over_events_need_no_database_read():
    wakeups, log = Wakeups(), Log(stored=2)
    reader = tail(wakeups, "ORD-1", 0, log.read_after)
    assert await collect(reader, 2) == [1, 2]
    reads_after_replay = log.reads
    pending = asyncio.ensure_future(collect(reader, 3))
    await asyncio.sleep(0.01)
    log.commit(wakeups, 3)
    log.commit(wakeups, 4, 5)
    assert await pending == [3, 4, 5]
    assert log.reads == reads_after_replay + 1  # the one read after replay found nothing new; no more
    await reader.aclose()


async def test_a_gap_or_a_bare_wake_up_reads_the_database():
    wakeups, log = Wakeups(), Log(stored=1)
    reader = tail(wakeups, "ORD-1", 0, log.read_after)
    assert await collect(reader, 1) == [1]
    pending = asyncio.ensure_future(collect(reader, 2))
    await asyncio.sleep(0.01)
    log.stored.append(event(2))      # committed elsewhere (another replica): never handed over
    log.commit(wakeups, 3)           # handed over, but 2 is missing: read the database
    assert await pending == [2, 3]
    pending = asyncio.ensure_future(collect(reader, 1))
    await asyncio.sleep(0.01)
    log.commit(wakeups, 4, hand_over=False)
    assert await pending == [4]
    await reader.aclose()


def test_a_reader_far_behind_is_sent_to_the_database():
    subscription = Subscription()
    subscription.deliver([event(s) for s in range(1, Subscription.MAX_HANDED_OVER + 2)])
    assert subscription.take(0) is None
    subscription.deliver([event(1), event(2)])
    assert [e.seq for e in subscription.take(0)] == [1, 2]


async def test_one_poller_wakes_only_the_readers_behind_with_one_query_per_chunk():
    log = Log(stored=1)
    queries: list[list[str]] = []

    async def latest_seqs(order_ids: list[str]) -> dict[str, int]:
        queries.append(order_ids)
        return {"ORD-1": log.stored[-1].seq}

    wakeups = Wakeups(latest_seqs, poll_seconds=0.01)
    wakeups.start()
    readers = [tail(wakeups, "ORD-1", 0, log.read_after) for _ in range(3)]
    assert [await collect(r, 1) for r in readers] == [[1]] * 3
    pending = asyncio.ensure_future(asyncio.gather(*(collect(r, 1) for r in readers)))
    await asyncio.sleep(0.05)
    reads_before = log.reads
    log.stored.append(event(2))  # written by another replica: no local wake-up
    assert await asyncio.wait_for(pending, 10) == [[2]] * 3  # the poller's next round
    assert log.reads - reads_before == 3  # one read per reader, only once it was behind
    assert all(q == ["ORD-1"] for q in queries)  # one query for all three readers
    wakeups.close()
    for reader in readers:
        await reader.aclose()

"""The relay publishes in order, marks only what the broker acknowledged, and retries the rest."""
import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import DeclarativeBase

from shared.db.engine import make_engine, make_sessionmaker
from shared.messaging.outbox import Outbox, OutboxRelay, OutboxRowMixin
from shared.messaging.topics import KafkaMessage, Key, Topic
from shared.models.common import utcnow


class Base(DeclarativeBase):
    pass


class Row(OutboxRowMixin, Base):
    pass


class FlakyPublisher:
    def __init__(self):
        self.delivered: list[tuple[str, bytes, dict, dict]] = []
        self.fail_after: int | None = None

    async def connect(self):
        pass

    async def close(self):
        pass

    async def send_batch(self, records):
        for i, (topic, key, value, headers) in enumerate(records):
            if self.fail_after is not None and i == self.fail_after:
                self.fail_after = None
                return i, ConnectionError("broker went away")
            self.delivered.append((topic, key, json.loads(value), dict(headers)))
        return len(records), None


@pytest.fixture
async def relay_parts(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/outbox.db")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    outbox = Outbox(Row)
    publisher = FlakyPublisher()
    relay = OutboxRelay(sessions, outbox, publisher, source="test", topic_names={Topic.PRP_FAILURES: "renamed.PRP"},
                        batch_size=4, poll_seconds=0.1, retention=timedelta(hours=1))
    yield sessions, outbox, publisher, relay
    await engine.dispose()


async def stage(sessions, outbox, n, start=0):
    async with sessions() as session, session.begin():
        await outbox.stage(session, [
            KafkaMessage(Topic.PRP_FAILURES, Key.PRP_SUBMISSION, f"id-{i}", "ProposalSubmissionRefused", "ORD-1",
                         utcnow(), {"i": i})
            for i in range(start, start + n)
        ])


async def test_envelope_headers_and_topic_name(relay_parts):
    sessions, outbox, publisher, relay = relay_parts
    await stage(sessions, outbox, 1)
    assert await relay.publish_once() == 1
    topic, key, value, headers = publisher.delivered[0]
    assert (topic, key) == ("renamed.PRP", b"PRP_SUBMISSION")
    assert set(value) == {"event_id", "event_type", "order_req_id", "occurred_at", "source", "payload"}
    assert value["event_id"] == "id-0" and value["source"] == "test" and value["occurred_at"].endswith("Z")
    assert headers == {"event_id": b"id-0", "event_type": b"ProposalSubmissionRefused"}


async def test_a_failed_send_keeps_the_rest_for_a_retry_in_order(relay_parts):
    sessions, outbox, publisher, relay = relay_parts
    await stage(sessions, outbox, 10)
    assert await relay.publish_once() == 4
    publisher.fail_after = 2
    with pytest.raises(ConnectionError):
        await relay.publish_once()  # ids 4, 5 acknowledged; 6 failed
    assert await relay.backlog() == 4
    while await relay.publish_once():
        pass
    assert [v["payload"]["i"] for _, _, v, _ in publisher.delivered] == list(range(10))
    assert await relay.backlog() == 0


class CountingPublisher(FlakyPublisher):
    def __init__(self):
        super().__init__()
        self.batches = 0

    async def send_batch(self, records):
        self.batches += 1
        return await super().send_batch(records)


@pytest.mark.parametrize("linger, lingering", [(0.3, True), (0.0, False)])
async def test_commits_in_a_burst_go_out_in_one_batch_when_the_relay_lingers(relay_parts, linger, lingering):
    import asyncio

    sessions, outbox, _, _ = relay_parts
    publisher = CountingPublisher()
    relay = OutboxRelay(sessions, outbox, publisher, source="test", topic_names={}, batch_size=100,
                        poll_seconds=5, linger_seconds=linger, retention=timedelta(hours=1))
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.1)  # connected, idle, waiting to be woken
        for n in range(10):  # ten commits, 10 ms apart, each waking the relay
            await stage(sessions, outbox, 1, start=n)
            outbox.written()
            await asyncio.sleep(0.01)
        while len(publisher.delivered) < 10:
            await asyncio.sleep(0.02)
    finally:  # stopped before the fixture disposes the engine, as the service's stop does
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [v["payload"]["i"] for _, _, v, _ in publisher.delivered] == list(range(10))
    # Lingering, the burst goes in one or two batches; without, nearly one per commit.
    assert (publisher.batches <= 2) == lingering, publisher.batches


async def test_a_relay_woken_as_it_is_stopped_still_stops():
    """asyncio.wait_for (Python 3.11) swallowed a cancellation that arrived as the wake-up
    completed: the relay then waited on, and so did the service's stop (and this suite, once)."""
    import asyncio

    async def waits_again_and_again(outbox: Outbox) -> None:  # as OutboxRelay.run does
        while True:
            await outbox.wait(5)

    for _ in range(20):
        outbox = Outbox(Row)
        waiting = asyncio.create_task(waits_again_and_again(outbox))
        for _ in range(3):
            await asyncio.sleep(0)  # the relay waits
        outbox.written()            # a commit wakes it ...
        await asyncio.sleep(0)
        waiting.cancel()            # ... just as the service stops it
        done, _ = await asyncio.wait({waiting}, timeout=2)
        assert done and waiting.cancelled(), "the cancellation was lost"


async def test_what_waits_is_counted_with_the_oldest_for_the_backlog_metrics(relay_parts):
    sessions, outbox, _publisher, relay = relay_parts
    assert await relay.unsent() == (0, None)
    before = utcnow()
    await stage(sessions, outbox, 6)
    count, oldest = await relay.unsent()
    assert count == 6 and oldest is not None and oldest >= before - timedelta(seconds=1)
    assert await relay.publish_once() == 4
    assert (await relay.unsent())[0] == 2

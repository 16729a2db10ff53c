"""Outbox publishing throughput beside raw aiokafka sends, in the same run, on a local broker.

    python -m bench.outbox_vs_raw [--messages 20000] [--postgres]

Raw: one AIOKafkaProducer encodes and sends N envelopes (the same bytes the relay sends) and
awaits every acknowledgement. Outbox: N rows staged in the outbox table are read in id order, sent by the
relay's KafkaPublisher and marked published, batch after batch, until the backlog is empty.
The machine is noisy: compare the ratio, not the absolute rates.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import DeclarativeBase

from devtools.local_broker import LocalBroker
from devtools.service_process import free_port
from shared.config import CommonSettings
from shared.db.engine import make_engine, make_sessionmaker
from shared.messaging.kafka_client import KafkaPublisher, make_producer
from shared.messaging.outbox import Outbox, OutboxRelay, OutboxRowMixin, envelope
from shared.messaging.topics import KafkaMessage, Key, Topic, topic_names
from shared.models.common import utcnow


class Base(DeclarativeBase):
    pass


class BenchOutbox(OutboxRowMixin, Base):
    pass


def messages(n: int) -> list[KafkaMessage]:
    now = utcnow()
    return [
        KafkaMessage(Topic.SELLER_ACKNOWLEDGEMENTS, Key.PRP_SUBMISSION, str(uuid.uuid4()), "ProposalSubmissions",
                "ORD-BENCH", now,
                {"seq": i, "proposal_id": f"P-{i}", "seller_id": "SELLER-001", "state": "Submitted",
                 "data": {"ProposalID": f"P-{i}", "Price": 1000.0 + i, "DeliveryDate": "2025-11-01T00:00:00Z"}})
        for i in range(n)
    ]


async def raw_rate(settings: CommonSettings, n: int) -> float:
    rows = [BenchOutbox(event_id=m.event_id, topic=m.topic.value, key=m.key.value, event_type=m.event_type,
                        order_req_id=m.order_req_id, occurred_at=m.occurred_at, payload=m.payload) for m in messages(n)]
    producer = make_producer(settings)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = []
        for row in rows:  # encoding the envelope is part of publishing, on both paths
            value, headers = envelope(row, "bench")
            futures.append(await producer.send(row.topic, value, key=row.key.encode(), headers=headers))
        await asyncio.gather(*futures)
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def outbox_rate(settings: CommonSettings, database_url: str, n: int) -> float:
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    outbox = Outbox(BenchOutbox)
    async with sessions() as session, session.begin():
        await outbox.stage(session, messages(n))
    names = topic_names(settings)
    publisher = KafkaPublisher(settings, list(names.values()))
    relay = OutboxRelay(sessions, outbox, publisher, source="bench", topic_names=names,
                        batch_size=settings.outbox_batch_size, poll_seconds=1, retention=timedelta(hours=1))
    await publisher.connect()
    try:
        started = time.perf_counter()
        while await relay.publish_once():
            pass
        elapsed = time.perf_counter() - started
        assert await relay.backlog() == 0
        return n / elapsed
    finally:
        await publisher.close()
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000, help="OUTBOX_BATCH_SIZE")
    parser.add_argument("--postgres", default="", help="also on this PostgreSQL URL, e.g. postgresql+asyncpg://postgres@127.0.0.1/test")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()

    broker = LocalBroker(free_port()).start(topics=[t.value for t in Topic])
    settings = CommonSettings(_env_file=None, kafka_bootstrap_servers=[broker.bootstrap], outbox_batch_size=args.batch)
    results: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await raw_rate(settings, 1000)  # warm-up: connections, metadata
            results["raw aiokafka"] = await raw_rate(settings, args.messages)
            sqlite = f"sqlite+aiosqlite:///{tmp}/bench.db"
            results["outbox relay (SQLite)"] = await outbox_rate(settings, sqlite, args.messages)
            if args.postgres:
                results["outbox relay (PostgreSQL)"] = await outbox_rate(settings, args.postgres, args.messages)
    finally:
        broker.stop()

    raw = results["raw aiokafka"]
    print(f"{'path':28} {'messages/s':>12} {'ratio to raw':>13}")
    for name, rate in results.items():
        print(f"{name:28} {rate:12,.0f} {rate / raw:13.2f}")
    if args.json:
        args.json.write_text(json.dumps({"messages": args.messages, "rates": results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())

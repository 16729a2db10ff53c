"""Transactional outbox: messages are rows written with the change that causes them; a relay
publishes them in order and marks them sent.

If the broker is down, requests go on being served, rows wait, and the relay sends them in
order when it is back. Delivery is at least once (a crash between send and mark resends);
consumers drop duplicates by `event_id`.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import BigInteger, Integer, String, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.engine import write_session
from shared.db.types import JsonColumn, UtcDateTime
from shared.messaging.topics import KafkaMessage, Topic
from shared.models.common import utcnow
from shared.telemetry.tracing import current_traceparent, end_publish, publish_span

log = logging.getLogger(__name__)
SLOW_ACK_SECONDS = 1.0  # a batch unacknowledged this long makes readiness say "degraded"


class OutboxRowMixin:
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    order_req_id: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    traceparent: Mapped[str | None] = mapped_column(String(55), nullable=True)  # sent as a Kafka header


def envelope(row: OutboxRowMixin, source: str, traceparent: str | None = None) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The JSON value and headers of one Kafka message (`traceparent`: W3C trace context, when traced)."""
    value = json.dumps({
        "event_id": row.event_id, "event_type": row.event_type, "order_req_id": row.order_req_id,
        "occurred_at": row.occurred_at.isoformat().replace("+00:00", "Z"), "source": source, "payload": row.payload,
    }, separators=(",", ":")).encode()
    headers = [("event_id", row.event_id.encode()), ("event_type", row.event_type.encode())]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return value, headers


class Outbox:
    """Writes messages into the caller's transaction; `written()` wakes the relay after commit."""

    def __init__(self, row_type: type[OutboxRowMixin]) -> None:
        self.row_type = row_type
        self._wake = asyncio.Event()

    async def stage(self, session: AsyncSession, messages: list[KafkaMessage]) -> None:
        """One INSERT of every message, in the caller's transaction (ids keep their order)."""
        if messages:
            await session.execute(insert(self.row_type), [{
                "event_id": m.event_id, "topic": m.topic.value, "key": m.key.value, "event_type": m.event_type,
                "order_req_id": m.order_req_id, "occurred_at": m.occurred_at, "payload": m.payload,
                "traceparent": m.traceparent or current_traceparent(),
            } for m in messages])

    def written(self) -> None:
        self._wake.set()

    async def wait(self, timeout: float) -> bool:
        """True when woken by a commit, False when `timeout` passed first."""
        try:
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives as the
            # wake-up completes, and the relay then never stopped (a service's stop hung on it).
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            return False
        finally:
            self._wake.clear()
        return True


Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers


class Publisher(Protocol):
    """The broker side of the relay (KafkaPublisher; a fake in unit tests)."""

    async def connect(self) -> None: ...

    async def send_batch(self, records: list[Record]) -> tuple[int, Exception | None]:
        """Send in order; return how many leading records were acknowledged, and the first error."""

    async def close(self) -> None: ...


class OutboxRelay:
    """Publishes unsent rows in id order and marks the acknowledged prefix of each batch."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        outbox: Outbox,
        publisher: Publisher,
        *,
        source: str,
        topic_names: dict[Topic, str],
        batch_size: int,
        poll_seconds: float,
        linger_seconds: float = 0.0,
        retention: timedelta,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._row = outbox.row_type
        self._publisher = publisher
        self._source = source
        self._names = {t.value: name for t, name in topic_names.items()}
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._linger_seconds = linger_seconds
        self._retention = retention
        self.connected = False
        self.last_error: str | None = None
        self.published = 0
        self.errors = 0  # failed cycles (broker or database away), for /metrics
        self._sending_since: float | None = None

    async def unsent(self) -> tuple[int, datetime | None]:
        """How many rows wait, and when the oldest of them happened (None: nothing waits)."""
        async with self._sessions() as session:
            count, oldest = (await session.execute(
                select(func.count(), func.min(self._row.occurred_at)).where(self._row.published_at.is_(None))
            )).one()
        return int(count), oldest

    async def backlog(self) -> int:
        async with self._sessions() as session:
            return await session.scalar(
                select(func.count()).select_from(self._row).where(self._row.published_at.is_(None))
            )

    async def status(self) -> str:
        """'ok', or why publishing is behind (for readiness: degraded, not down)."""
        problem = self.last_error or ("connecting" if not self.connected else None)
        if problem is None and self._sending_since is not None:
            waiting = time.monotonic() - self._sending_since
            if waiting > SLOW_ACK_SECONDS:
                problem = f"broker has not acknowledged for {waiting:.1f}s"
        if problem is None:
            return "ok"
        return f"degraded: {problem}; backlog {await self.backlog()}"

    async def publish_once(self) -> int:
        """Send one batch of unsent rows; return how many were acknowledged and marked."""
        row = self._row
        async with self._sessions() as session:
            # Plain rows, not ORM objects: the relay's hot path (see bench/outbox_vs_raw.py).
            rows = (await session.execute(
                select(row.id, row.event_id, row.topic, row.key, row.event_type, row.order_req_id,
                       row.occurred_at, row.payload, row.traceparent)
                .where(row.published_at.is_(None)).order_by(row.id).limit(self._batch_size)
            )).all()
        if not rows:
            return 0
        self._sending_since = time.monotonic()
        records, spans = [], []
        for r in rows:
            topic = self._names.get(r.topic, r.topic)
            span, traceparent = publish_span(r.traceparent, topic, r.event_id)
            value, headers = envelope(r, self._source, traceparent)
            records.append((topic, r.key.encode(), value, headers))
            spans.append(span)
        sent, error = 0, None
        try:
            sent, error = await self._publisher.send_batch(records)
        finally:
            self._sending_since = None
            end_publish(spans, sent, error)
        if sent:
            async with write_session(self._sessions) as session:
                # By id, not by range: on PostgreSQL a lower id can commit after a higher one was
                # read, and a range would mark it sent unseen. It goes out with the next batch.
                await session.execute(
                    update(row).where(row.id.in_([r.id for r in rows[:sent]])).values(published_at=utcnow())
                )
            self.published += sent
        if error is not None:
            raise error
        return sent

    async def prune(self) -> None:
        async with write_session(self._sessions) as session:
            await session.execute(delete(self._row).where(self._row.published_at < utcnow() - self._retention))

    async def run(self) -> None:
        delay = 0.2
        while True:
            try:
                if not self.connected:
                    await self._publisher.connect()
                    self.connected = True
                    await self.prune()
                while await self.publish_once():
                    pass
                self.last_error = None
                delay = 0.2
                if await self._outbox.wait(self._poll_seconds) and self._linger_seconds:
                    # Under load every commit wakes the relay; each cycle is a read, a send and
                    # a write transaction that queues with the service's own writes. Lingering
                    # lets one cycle carry what many commits wrote (Kafka's linger.ms, here).
                    await asyncio.sleep(self._linger_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker or database unreachable: keep the rows, retry later
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.errors += 1
                log.warning("outbox relay (%s): %s; retrying in %.1fs", self._source, self.last_error, delay)
                # Reconnect from scratch: a broker that came back may have lost its topics
                # (the local one keeps them in memory), and connecting recreates them.
                await self.close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        await self._publisher.close()
        self.connected = False

    async def drain(self, timeout: float) -> None:
        """At shutdown: publish what is left, for at most `timeout` seconds."""
        if not self.connected:
            return
        try:
            async with asyncio.timeout(timeout):
                while await self.publish_once():
                    pass
        except Exception as exc:  # noqa: BLE001 - what is not sent stays in the outbox for the next start
            log.warning("outbox not drained at shutdown: %s", exc)

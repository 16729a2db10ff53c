"""The per-order event log: the spine. Appends ride the caller's transaction; readers tail it.

Live tailing is "wake up and re-read": a commit wakes this process's subscribers of that order,
and every subscriber also re-reads every STREAM_POLL_SECONDS, so events another replica wrote
arrive too. The database is the only source of what a stream sends.
"""
from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.app.db.tables import Order, OrderEventRow
from shared.models.common import utcnow
from shared.models.events import OrderEvent
from shared.models.states import EventType


class EventLog:
    def __init__(self, sessions: async_sessionmaker, *, poll_seconds: float, page_size: int = 500) -> None:
        self._sessions = sessions
        self._poll_seconds = poll_seconds
        self._page_size = page_size
        self._subscribers: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._closing = False

    @staticmethod
    def append(session: AsyncSession, order: Order, event_type: EventType, payload: BaseModel) -> OrderEvent:
        """Add the next event of `order` to the session's transaction (the order row is locked)."""
        order.last_seq += 1
        event = OrderEvent(
            order_req_id=order.order_req_id, seq=order.last_seq, event_id=str(uuid.uuid4()),
            event_type=event_type, occurred_at=utcnow(), payload=payload,
        )
        session.add(OrderEventRow.from_event(event))
        return event

    def committed(self, order_req_id: str) -> None:
        """Wake this process's readers of the order; call after the commit."""
        for wake in self._subscribers.get(order_req_id, ()):
            wake.set()

    async def read_after(self, order_req_id: str, after_seq: int, limit: int | None = None) -> list[OrderEvent]:
        async with self._sessions() as session:
            rows = (await session.scalars(
                select(OrderEventRow)
                .where(OrderEventRow.order_req_id == order_req_id, OrderEventRow.seq > after_seq)
                .order_by(OrderEventRow.seq)
                .limit(limit or self._page_size)
            )).all()
        return [r.to_event() for r in rows]

    @contextmanager
    def _subscription(self, order_req_id: str) -> Iterator[asyncio.Event]:
        wake = asyncio.Event()
        self._subscribers[order_req_id].add(wake)
        try:
            yield wake
        finally:
            subscribers = self._subscribers[order_req_id]
            subscribers.discard(wake)
            if not subscribers:
                del self._subscribers[order_req_id]

    async def follow(self, order_req_id: str, after_seq: int) -> AsyncIterator[OrderEvent]:
        """Replay events after `after_seq`, then tail live ones; stop after the terminal event."""
        with self._subscription(order_req_id) as wake:
            while not self._closing:
                wake.clear()  # before reading, so a commit during the read is not missed
                events = await self.read_after(order_req_id, after_seq)
                for event in events:
                    yield event
                    after_seq = event.seq
                    if event.is_terminal:
                        return
                if not events:
                    try:
                        await asyncio.wait_for(wake.wait(), self._poll_seconds)
                    except TimeoutError:
                        pass

    def close(self) -> None:
        """End every follower (at shutdown), so streams finish and their clients resume elsewhere."""
        self._closing = True
        for subscribers in self._subscribers.values():
            for wake in subscribers:
                wake.set()

    @property
    def open_subscriptions(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

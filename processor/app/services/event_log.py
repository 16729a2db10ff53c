"""The per-order event log: the spine. Appends ride the caller's transaction; readers tail it.

Live tailing is shared.utils.tail: a commit hands its events to this process's readers of that
order, and one poller per process looks at every followed order's last seq each
STREAM_POLL_SECONDS, so events another replica wrote arrive too; on any gap a reader reads the database, the source of truth.
"""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.app.db.tables import Order, OrderEventRow
from shared.models.common import utcnow
from shared.models.events import OrderEvent
from shared.models.states import EventType
from shared.utils.tail import Wakeups, tail


class EventLog:
    def __init__(self, sessions: async_sessionmaker, *, poll_seconds: float, page_size: int = 500) -> None:
        self._sessions = sessions
        self._page_size = page_size
        self.wakeups = Wakeups(self.latest_seqs, poll_seconds=poll_seconds)

    def start(self) -> None:
        self.wakeups.start()

    async def latest_seqs(self, order_req_ids: list[str]) -> dict[str, int]:
        async with self._sessions() as session:
            rows = await session.execute(select(Order.order_req_id, Order.last_seq).where(Order.order_req_id.in_(order_req_ids)))
        return {order_req_id: seq for order_req_id, seq in rows}

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

    def committed(self, order_req_id: str, events: list[OrderEvent]) -> None:
        """Hand the order's just-committed events to this process's readers; call after the commit."""
        self.wakeups.notify(order_req_id, events)

    async def read_after(self, order_req_id: str, after_seq: int, limit: int | None = None) -> list[OrderEvent]:
        async with self._sessions() as session:
            rows = (await session.scalars(
                select(OrderEventRow)
                .where(OrderEventRow.order_req_id == order_req_id, OrderEventRow.seq > after_seq)
                .order_by(OrderEventRow.seq)
                .limit(limit or self._page_size)
            )).all()
        return [r.to_event() for r in rows]

    def follow(self, order_req_id: str, after_seq: int) -> AsyncIterator[OrderEvent]:
        """Replay events after `after_seq`, then tail live ones; stop after the terminal event."""
        return tail(self.wakeups, order_req_id, after_seq, self.read_after)

    def close(self) -> None:
        self.wakeups.close()

    @property
    def open_subscriptions(self) -> int:
        return self.wakeups.readers

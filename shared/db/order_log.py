"""A service's per-order event log as its live readers see it: replay from the database, then
tail (shared.db.tail). Commits in this process wake its readers with the events; commits in
another replica wake them through PostgreSQL notices (shared.db.notifications), and one poller
per process is the safety net for a notice lost with a connection.

The Processor's EventLog (gRPC streams) and the Requestor's updater (SSE, waiting actions) read
the same way from their own `orders` and `order_events` tables.
"""
from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AbstractContextManager, aclosing
from typing import ClassVar, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped

from shared.db.event_rows import EventRowMixin
from shared.db.notifications import Notifications
from shared.db.tail import Subscription, Wakeups, tail
from shared.models.events import TERMINAL_EVENT_TYPES, OrderEvent


class OrderSeqRow(Protocol):
    """What the log reads of a service's `orders` table (its mapped class): each order's latest seq."""

    order_req_id: ClassVar[Mapped[str]]
    last_seq: ClassVar[Mapped[int]]


class TailableOrderLog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], order_table: type[OrderSeqRow],
                 event_table: type[EventRowMixin], *,
                 poll_seconds: float, page_size: int = 500,
                 notifications: Notifications | None = None, channel: str = "") -> None:
        self._sessions = sessions
        self._orders = order_table
        self._events = event_table
        self._page_size = page_size
        self._wakeups = Wakeups(self.latest_seqs, poll_seconds=poll_seconds)
        self._notifications = notifications
        self._channel = channel
        self.events_committed = 0
        if notifications is not None:
            notifications.on(channel, self._committed_elsewhere)

    def _committed_elsewhere(self, order_req_id: str | None) -> None:
        """Another replica committed events of the order (None: of any order): readers read them."""
        if order_req_id is None:
            self._wakeups.wake_all()
        else:
            self._wakeups.notify(order_req_id)

    def start(self) -> None:
        self._wakeups.start()

    def close(self) -> None:
        self._wakeups.close()

    def committed(self, order_req_id: str, events: list[OrderEvent]) -> None:
        """Hand the order's just-committed events to this process's readers, and tell the other
        replicas' readers to look; call after the commit."""
        self._wakeups.notify(order_req_id, events)
        self.events_committed += len(events)
        if self._notifications is not None:
            self._notifications.publish(self._channel, [order_req_id])

    @property
    def readers(self) -> int:
        """Live readers in this process (gRPC streams, SSE, waiting actions)."""
        return self._wakeups.readers

    def subscribe(self, order_req_id: str) -> AbstractContextManager[Subscription]:
        """Woken at each commit of the order's events (here or, found by the poller, elsewhere)."""
        return self._wakeups.subscribe(order_req_id)

    async def read_after(self, order_req_id: str, after_seq: int, limit: int | None = None) -> list[OrderEvent]:
        """The stored events of an order after `after_seq`, in order, one page at most."""
        rows_of = self._events
        async with self._sessions() as session:
            rows = (await session.scalars(
                select(rows_of).where(rows_of.order_req_id == order_req_id, rows_of.seq > after_seq)
                .order_by(rows_of.seq).limit(limit or self._page_size)
            )).all()
        return [r.to_event() for r in rows]

    async def latest_seqs(self, order_req_ids: list[str]) -> dict[str, int]:
        orders = self._orders
        async with self._sessions() as session:
            rows = await session.execute(
                select(orders.order_req_id, orders.last_seq).where(orders.order_req_id.in_(order_req_ids)))
        return dict(rows.all())

    async def follow(self, order_req_id: str, after_seq: int) -> AsyncGenerator[OrderEvent]:
        """Replay events after `after_seq`, then tail live ones; stop after the terminal event — at
        once when that was at or before `after_seq` (a reader resuming an ended order would
        otherwise wait for ever)."""
        if after_seq and await self._ended_by(order_req_id, after_seq):
            return
        async with aclosing(tail(self._wakeups, order_req_id, after_seq, self.read_after)) as events:
            async for event in events:
                yield event

    async def _ended_by(self, order_req_id: str, seq: int) -> bool:
        rows_of = self._events
        async with self._sessions() as session:
            return (await session.scalar(
                select(rows_of.seq).where(
                    rows_of.order_req_id == order_req_id, rows_of.seq <= seq,
                    rows_of.event_type.in_([t.value for t in TERMINAL_EVENT_TYPES]),
                ).limit(1)
            )) is not None

"""Serialised changes to one order: the unit of work every state transition goes through.

In this process an `asyncio.Lock` per order queues its transitions; across replicas the order
row is read `FOR UPDATE` (PostgreSQL) and carries a version column, so a transition decided on
a stale row cannot commit. Events appended inside — and the Kafka messages they route to, in
the outbox — are committed with the change; then readers and the outbox relay are woken.
Changes to different orders that arrive together share one transaction, each in a savepoint
(shared.db.shared_transaction): one commit for many proposals under load.
"""
from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.app.db.tables import Order, OrderEventRow
from processor.app.services.event_log import EventLog
from shared.db.shared_transaction import SharedTransaction
from shared.errors import order_not_found
from shared.messaging.service import Messaging
from shared.messaging.topics import KafkaMessage, processor_messages
from shared.models.events import OrderEvent
from shared.models.states import EventType


@dataclass
class OrderChange:
    order_req_id: str
    session: AsyncSession
    order: Order | None
    log: EventLog
    events: list[OrderEvent] = field(default_factory=list)
    messages: list[KafkaMessage] = field(default_factory=list)

    @property
    def existing(self) -> Order:
        if self.order is None:
            raise order_not_found(self.order_req_id)
        return self.order

    def append(self, event_type: EventType, payload: BaseModel) -> OrderEvent:
        """The order's next event; it is written, with its Kafka messages, when the change ends."""
        event = self.log.next_event(self.existing, event_type, payload)
        self.messages += processor_messages(event, self.existing.details)
        self.events.append(event)
        return event

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0


class OrderStore:
    def __init__(self, sessions: async_sessionmaker, log: EventLog, messaging: Messaging) -> None:
        self.sessions = sessions
        self.log = log
        self.messaging = messaging
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Changes to different orders that arrive together share one commit (group commit).
        self._transactions = SharedTransaction(sessions)

    def _lock(self, order_req_id: str) -> asyncio.Lock:
        lock = self._locks.get(order_req_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[order_req_id] = lock
        return lock

    @asynccontextmanager
    async def change(self, order_req_id: str) -> AsyncIterator[OrderChange]:
        async with self.changes([order_req_id]) as changes:
            yield changes[order_req_id]

    @asynccontextmanager
    async def changes(self, order_req_ids: Iterable[str]) -> AsyncIterator[dict[str, OrderChange]]:
        """Changes to several orders in one unit of work: all are written, or none.

        Locks are taken in id order (no two batches wait on each other); each order's events
        and messages are written with one INSERT per table when the body ends.
        """
        ids = sorted(set(order_req_ids))
        async with AsyncExitStack() as locks:
            for order_req_id in ids:
                await locks.enter_async_context(self._lock(order_req_id))
            async with self._transactions.unit() as session:  # returns once the change is committed
                orders = {o.order_req_id: o for o in await session.scalars(
                    select(Order).where(Order.order_req_id.in_(ids)).order_by(Order.order_req_id)
                    .with_for_update().execution_options(populate_existing=True)
                )}
                changes = {i: OrderChange(i, session, orders.get(i), self.log) for i in ids}
                yield changes
                await OrderEventRow.insert_all(session, [e for c in changes.values() for e in c.events])
                await self.messaging.stage(session, [m for c in changes.values() for m in c.messages])
            for change in changes.values():
                if change.events:
                    self.log.committed(change.order_req_id, change.events)
            self.messaging.written()

    async def get(self, order_req_id: str) -> Order:
        async with self.sessions() as session:
            order = await session.get(Order, order_req_id)
        if order is None:
            raise order_not_found(order_req_id)
        return order

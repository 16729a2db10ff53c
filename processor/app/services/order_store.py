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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.app.db.tables import Order
from processor.app.services.event_log import EventLog
from shared.db.shared_transaction import SharedTransaction
from shared.messaging.service import Messaging
from shared.messaging.topics import processor_messages
from shared.errors import NotFound
from shared.models.events import OrderEvent
from shared.models.states import EventType


@dataclass
class OrderChange:
    order_req_id: str
    session: AsyncSession
    order: Order | None
    log: EventLog
    messaging: Messaging
    events: list[OrderEvent] = field(default_factory=list)

    @property
    def existing(self) -> Order:
        if self.order is None:
            raise NotFound(f"order {self.order_req_id} not found")
        return self.order

    def append(self, event_type: EventType, payload: BaseModel) -> OrderEvent:
        event = self.log.append(self.session, self.existing, event_type, payload)
        self.messaging.stage(self.session, processor_messages(event, self.existing.details))
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
        lock = self._lock(order_req_id)
        async with lock:
            async with self._transactions.unit() as session:  # returns once the change is committed
                order = await session.get(Order, order_req_id, with_for_update=True, populate_existing=True)
                change = OrderChange(order_req_id, session, order, self.log, self.messaging)
                yield change
            if change.events:
                self.log.committed(order_req_id, change.events)
                self.messaging.written()

    async def get(self, order_req_id: str) -> Order:
        async with self.sessions() as session:
            order = await session.get(Order, order_req_id)
        if order is None:
            raise NotFound(f"order {order_req_id} not found")
        return order

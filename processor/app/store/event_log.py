"""The per-order event log: the spine. Appends ride the caller's transaction; readers tail it.

Reading and live tailing are shared.db.order_log (the Requestor reads its own log the same way):
a commit hands its events to this process's readers of that order, one poller per process looks
at every followed order's last seq each STREAM_POLL_SECONDS (events another replica wrote), and
on any gap a reader reads the database, the source of truth.
"""
from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import async_sessionmaker

from processor.app.store.tables import Order, OrderEventRow
from shared.db.notifications import Notifications
from shared.db.order_log import TailableOrderLog
from shared.models.common import utcnow
from shared.models.events import OrderEvent
from shared.models.states import EventType
from shared.telemetry.tracing import current_traceparent


class EventLog(TailableOrderLog):
    def __init__(self, sessions: async_sessionmaker, *, poll_seconds: float, page_size: int = 500,
                 notifications: Notifications | None = None) -> None:
        super().__init__(sessions, Order, OrderEventRow, poll_seconds=poll_seconds, page_size=page_size,
                         notifications=notifications, channel="processor_order_events")

    @staticmethod
    def next_event(order: Order, event_type: EventType, payload: BaseModel) -> OrderEvent:
        """The next event of `order` (whose row the caller holds locked); the change stores it."""
        order.last_seq += 1
        return OrderEvent(
            order_req_id=order.order_req_id, seq=order.last_seq, event_id=str(uuid.uuid4()),
            event_type=event_type, occurred_at=utcnow(), payload=payload, traceparent=current_traceparent(),
        )

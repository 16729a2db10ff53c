"""The stored form of an OrderEvent, the same on both sides of the stream."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import JsonColumn, UtcDateTime
from shared.models.events import OrderEvent


class EventRowMixin:
    """Columns (order_req_id, seq, event_id, event_type, payload, occurred_at); table `order_events`."""

    __tablename__ = "order_events"

    order_req_id: Mapped[str] = mapped_column(ForeignKey("orders.order_req_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    traceparent: Mapped[str | None] = mapped_column(String(55), nullable=True)

    @classmethod
    async def insert_all(cls, session: AsyncSession, events: list[OrderEvent]) -> None:
        """One INSERT for all the events, in the caller's transaction."""
        if events:
            await session.execute(insert(cls), [cls.values(e) for e in events])

    @staticmethod
    def values(event: OrderEvent) -> dict[str, Any]:
        """The row as column values: for bulk INSERTs (`insert(table)` with many rows)."""
        return {
            "order_req_id": event.order_req_id, "seq": event.seq, "event_id": event.event_id,
            "event_type": event.event_type.value, "payload": event.payload.model_dump(mode="json"),
            "occurred_at": event.occurred_at, "traceparent": event.traceparent,
        }

    def to_event(self) -> OrderEvent:
        return OrderEvent(
            order_req_id=self.order_req_id, seq=self.seq, event_id=self.event_id,
            event_type=self.event_type, occurred_at=self.occurred_at, payload=self.payload,
            traceparent=self.traceparent,
        )

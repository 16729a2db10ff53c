"""Requestor tables: the buyer's view of each order, projected from the Processor's event log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.event_rows import EventRowMixin
from shared.db.idempotency import IdempotencyRowMixin
from shared.db.types import JsonColumn, UtcDateTime
from shared.messaging.outbox import OutboxRowMixin

ID = String(128)


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"

    order_req_id: Mapped[str] = mapped_column(ID, primary_key=True)
    session_id: Mapped[str] = mapped_column(ID)
    notification_type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    sellers: Mapped[list[dict[str, Any]]] = mapped_column(JsonColumn)
    ranking_source: Mapped[str] = mapped_column(String(16), default="")
    winning_proposal_id: Mapped[str] = mapped_column(ID, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Highest stream seq applied: the stream resumes after it, duplicates at or below it are dropped.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Proposal(Base):
    __tablename__ = "proposals"

    proposal_id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_req_id: Mapped[str] = mapped_column(ForeignKey("orders.order_req_id"), index=True)
    seller_id: Mapped[str] = mapped_column(ID)
    state: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    revision: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    first_seq: Mapped[int] = mapped_column(Integer)
    updated_seq: Mapped[int] = mapped_column(Integer)


class FollowUp(Base):
    __tablename__ = "follow_ups"

    follow_up_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_req_id: Mapped[str] = mapped_column(ForeignKey("orders.order_req_id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))
    seller_id: Mapped[str] = mapped_column(ID, default="")
    proposal_id: Mapped[str] = mapped_column(ID, default="")
    audience: Mapped[list[str]] = mapped_column(JsonColumn)
    message: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderEventRow(EventRowMixin, Base):
    """Every stream event as received: the order's timeline, and the proof nothing was doubled."""


class OutboxRow(OutboxRowMixin, Base):
    """Kafka messages waiting to be published (transactional outbox)."""


class IdempotencyRow(IdempotencyRowMixin, Base):
    pass


class Replica(Base):
    """A live Requestor replica: it heartbeats; open orders' streams are shared among the live ones."""

    __tablename__ = "replicas"

    replica_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

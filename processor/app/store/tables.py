"""Processor tables: sellers, orders, invitations, proposals, follow-ups, edit locks, event log,
and the two outboxes (Kafka messages, seller notices)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.event_rows import EventRowMixin
from shared.db.idempotency import IdempotencyRowMixin
from shared.db.types import JsonColumn, UtcDateTime
from shared.messaging.outbox import OutboxRowMixin

ID = String(128)


class Base(DeclarativeBase):
    pass


class Seller(Base):
    __tablename__ = "sellers"

    seller_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    industries: Mapped[list[str]] = mapped_column(JsonColumn)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    gchat_webhook: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SellerIndustry(Base):
    """Selection's index: one row per (industry, active seller), with its position.

    A bounding-box range on (industry, lat) then lng finds the candidates near an order
    without reading the rest of a national directory. Sellers of every industry are indexed
    under "*" for orders that name none.
    """

    __tablename__ = "seller_industries"

    industry: Mapped[str] = mapped_column(String(64), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.seller_id", ondelete="CASCADE"), primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)


class Order(Base):
    __tablename__ = "orders"

    order_req_id: Mapped[str] = mapped_column(ID, primary_key=True)
    session_id: Mapped[str] = mapped_column(ID)
    notification_type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Row version: a second replica that read a stale row fails its UPDATE instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's per-class mapper configuration


class Invitation(Base):
    __tablename__ = "invitations"

    order_req_id: Mapped[str] = mapped_column(ForeignKey("orders.order_req_id"), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    rank: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(16))


class Proposal(Base):
    __tablename__ = "proposals"

    proposal_id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_req_id: Mapped[str] = mapped_column(ForeignKey("orders.order_req_id"), index=True)
    seller_id: Mapped[str] = mapped_column(ID)
    state: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    locks_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # takes and renewals
    last_seq: Mapped[int] = mapped_column(Integer)  # the latest event about this proposal
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EditLock(Base):
    __tablename__ = "edit_locks"

    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.proposal_id"), primary_key=True)
    order_req_id: Mapped[str] = mapped_column(ID, index=True)
    seller_id: Mapped[str] = mapped_column(ID)
    token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class FollowUp(Base):
    __tablename__ = "follow_ups"

    follow_up_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_req_id: Mapped[str] = mapped_column(ForeignKey("orders.order_req_id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    seller_id: Mapped[str] = mapped_column(ID, default="")
    proposal_id: Mapped[str] = mapped_column(ID, default="")
    audience: Mapped[list[str]] = mapped_column(JsonColumn)
    message: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SellerNoticeRow(Base):
    """A notice to a seller, written with the change that causes it; sent (at least once) by the
    replica that holds the Chat sender's lock, which then stamps `sent_at` (also when it gave up)."""

    __tablename__ = "seller_notices"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    order_req_id: Mapped[str] = mapped_column(ID)
    seller_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    traceparent: Mapped[str | None] = mapped_column(String(55), nullable=True)  # its delivery continues that trace
    card: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn, nullable=True)  # NoticeCard.to_json()


class OrderEventRow(EventRowMixin, Base):
    """The per-order event log: appended in the same transaction as the change it records."""


class OutboxRow(OutboxRowMixin, Base):
    """Kafka messages waiting to be published (transactional outbox)."""


Index("ix_orders_active_expiry", Order.state, Order.expires_at)
Index("ix_seller_industries_position", SellerIndustry.industry, SellerIndustry.lat, SellerIndustry.lng)
Index("ix_seller_industries_seller", SellerIndustry.seller_id)  # replacing a seller's rows


class IdempotencyRow(IdempotencyRowMixin, Base):
    pass

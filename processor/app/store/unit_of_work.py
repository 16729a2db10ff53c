"""Serialised changes to one order: the unit of work every state transition goes through.

In this process an `asyncio.Lock` per order queues its transitions; across replicas the order
row is read `FOR UPDATE` (PostgreSQL) and carries a version column, so a transition decided on
a stale row cannot commit. Events appended inside — and the Kafka messages they route to, in
the outbox — are committed with the change; then readers and the outbox relay are woken.
Batching is the caller's: new proposals that arrive together are decided in one change to all
their orders (`changes`, used by services/proposal_intake.py); every other change commits alone.

A change offers the reads and writes the use cases need by name; no session leaves the store.
"""
from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.app.domain.notices import SellerNotice
from processor.app.store.event_log import EventLog
from processor.app.store.notice_outbox import NoticeOutbox
from processor.app.store.tables import Base, EditLock, FollowUp, Invitation, Order, OrderEventRow, Proposal
from shared.db.engine import write_session
from shared.errors import order_not_found
from shared.messaging.service import Messaging
from shared.messaging.topics import KafkaMessage, processor_messages
from shared.models.common import utcnow
from shared.models.events import OrderEvent
from shared.models.states import EventType


class OrderChange:
    """One order's change in progress: its row (locked), the events appended so far, and the
    order's other rows, read and written through the change's transaction."""

    def __init__(self, order_req_id: str, session: AsyncSession, order: Order | None, log: EventLog) -> None:
        self.order_req_id = order_req_id
        self.order = order
        self.events: list[OrderEvent] = []
        self.messages: list[KafkaMessage] = []
        self.notices: list[SellerNotice] = []
        self._session = session
        self._log = log

    @property
    def existing(self) -> Order:
        if self.order is None:
            raise order_not_found(self.order_req_id)
        return self.order

    def create(self, order: Order) -> None:
        self._session.add(order)
        self.order = order

    def append(self, event_type: EventType, payload: BaseModel) -> OrderEvent:
        """The order's next event; it is written, with its Kafka messages, when the change ends."""
        event = self._log.next_event(self.existing, event_type, payload)
        self.messages += processor_messages(event, self.existing.details)
        self.events.append(event)
        return event

    def notify(self, notices: list[SellerNotice]) -> None:
        """Notices to sellers, written with the change (sent once it is committed)."""
        self.notices += notices

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    # --- the order's other rows ------------------------------------------------------------

    def add(self, row: Base) -> None:
        self._session.add(row)

    async def delete(self, row: Base) -> None:
        await self._session.delete(row)

    async def invited_sellers(self) -> list[str]:
        """The sellers invited to the order, best ranked first."""
        return list(await self._session.scalars(select(Invitation.seller_id).where(
            Invitation.order_req_id == self.order_req_id).order_by(Invitation.rank)))

    async def is_invited(self, seller_id: str) -> bool:
        return await self._session.get(Invitation, (self.order_req_id, seller_id)) is not None

    async def proposal(self, proposal_id: str) -> Proposal | None:
        """The proposal with this id, whichever order it belongs to (the rules check that)."""
        return await self._session.get(Proposal, proposal_id)

    async def proposals(self) -> dict[str, Proposal]:
        rows = await self._session.scalars(
            select(Proposal).where(Proposal.order_req_id == self.order_req_id).order_by(Proposal.created_at))
        return {p.proposal_id: p for p in rows}

    async def revisions_made(self, seller_id: str) -> int:
        """The seller's proposal writes on this order so far: the sum of its proposals' revisions."""
        made = await self._session.scalar(select(func.coalesce(func.sum(Proposal.revision), 0)).where(
            Proposal.order_req_id == self.order_req_id, Proposal.seller_id == seller_id))
        return int(made or 0)

    async def edit_lock(self, proposal_id: str) -> EditLock | None:
        return await self._session.get(EditLock, proposal_id)

    async def lapsed_locks(self, now: datetime) -> list[tuple[EditLock, Proposal]]:
        """Every edit lock of the order past its expiry, with its proposal (a lock's proposal exists: FK)."""
        locks = (await self._session.scalars(select(EditLock).where(
            EditLock.order_req_id == self.order_req_id, EditLock.expires_at <= now))).all()
        return [(lock, await self._session.get_one(Proposal, lock.proposal_id)) for lock in locks]

    async def follow_ups_sent(self, *, seller_id: str = "") -> int:
        """By that seller, or by the buyer when no seller is named."""
        sender = FollowUp.seller_id == seller_id if seller_id else FollowUp.direction == "buyer"
        count = await self._session.scalar(
            select(func.count()).select_from(FollowUp).where(FollowUp.order_req_id == self.order_req_id, sender))
        return int(count or 0)


class OrderChanges(dict[str, OrderChange]):
    """Changes to several orders in one unit of work, with the reads a batch decides by."""

    def __init__(self, changes: dict[str, OrderChange], session: AsyncSession) -> None:
        super().__init__(changes)
        self._session = session

    async def invitations(self) -> set[tuple[str, str]]:
        """(order, seller) for every invitation to these orders."""
        rows = await self._session.execute(
            select(Invitation.order_req_id, Invitation.seller_id).where(Invitation.order_req_id.in_(self)))
        return {(order, seller) for order, seller in rows}

    async def existing_proposals(self, proposal_ids: set[str]) -> set[str]:
        """Those of the ids a proposal already has, in any order."""
        return set(await self._session.scalars(select(Proposal.proposal_id).where(
            Proposal.proposal_id.in_(proposal_ids))))

    async def revisions_made(self, seller_ids: set[str]) -> dict[tuple[str, str], int]:
        """(order, seller) → proposal writes made so far, for these sellers on these orders."""
        rows = await self._session.execute(
            select(Proposal.order_req_id, Proposal.seller_id, func.sum(Proposal.revision))
            .where(Proposal.order_req_id.in_(self), Proposal.seller_id.in_(seller_ids))
            .group_by(Proposal.order_req_id, Proposal.seller_id))
        return {(order, seller): int(count) for order, seller, count in rows}


class OrderStore:
    def __init__(self, sessions: async_sessionmaker, log: EventLog, messaging: Messaging,
                 notices: NoticeOutbox) -> None:
        self._sessions = sessions
        self._log = log
        self._messaging = messaging
        self._notices = notices
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

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
    async def changes(self, order_req_ids: Iterable[str]) -> AsyncIterator[OrderChanges]:
        """Changes to several orders in one unit of work: all are written, or none.

        Locks are taken in id order (no two batches wait on each other); each order's events
        and messages are written with one INSERT per table when the body ends.
        """
        ids = sorted(set(order_req_ids))
        async with AsyncExitStack() as locks:
            for order_req_id in ids:
                await locks.enter_async_context(self._lock(order_req_id))
            async with write_session(self._sessions) as session:
                orders = {o.order_req_id: o for o in await session.scalars(
                    select(Order).where(Order.order_req_id.in_(ids)).order_by(Order.order_req_id)
                    .with_for_update().execution_options(populate_existing=True)
                )}
                changes = OrderChanges({i: OrderChange(i, session, orders.get(i), self._log) for i in ids}, session)
                yield changes
                await OrderEventRow.insert_all(session, [e for c in changes.values() for e in c.events])
                await self._messaging.stage(session, [m for c in changes.values() for m in c.messages])
                notices = [n for c in changes.values() for n in c.notices]
                await self._notices.stage(session, notices, utcnow())
            for change in changes.values():
                if change.events:
                    self._log.committed(change.order_req_id, change.events)
            self._messaging.written()
            if notices:
                self._notices.written()

    async def record_refusals(self, messages: list[KafkaMessage]) -> None:
        """Kafka messages about a change refused (nothing else changed): written on their own."""
        await self._messaging.record(messages)

    # --- reads outside a change ------------------------------------------------------------

    async def get(self, order_req_id: str) -> Order:
        async with self._sessions() as session:
            order = await session.get(Order, order_req_id)
        if order is None:
            raise order_not_found(order_req_id)
        return order

    async def with_invitations(self, order_req_id: str) -> tuple[Order, list[Invitation]]:
        """The order and its invited sellers, best ranked first."""
        async with self._sessions() as session:
            order = await session.get(Order, order_req_id)
            if order is None:
                raise order_not_found(order_req_id)
            invitations = (await session.scalars(
                select(Invitation).where(Invitation.order_req_id == order_req_id).order_by(Invitation.rank)
            )).all()
        return order, list(invitations)

"""Seller notices as rows: written in the transaction of the change that causes them, read in
the order written by the one sender, stamped once settled. A Processor that dies with notices
waiting loses none: they are rows until a sender settles them."""
from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.app.domain.notices import NoticeKind, SellerNotice
from processor.app.store.tables import SellerNoticeRow
from shared.db.engine import write_session
from shared.db.notifications import Notifications
from shared.models.common import utcnow

CHANNEL = "processor_notices"


class NoticeOutbox:
    def __init__(self, sessions: async_sessionmaker, notifications: Notifications | None = None) -> None:
        self._sessions = sessions
        self._notifications = notifications
        self._wake = asyncio.Event()
        if notifications is not None:  # the sender may be another replica's
            notifications.on(CHANNEL, lambda _: self._wake.set())

    async def stage(self, session: AsyncSession, notices: list[SellerNotice], now: datetime) -> None:
        """One INSERT of every notice, in the caller's transaction (ids keep their order)."""
        if notices:
            await session.execute(insert(SellerNoticeRow), [{
                "order_req_id": n.order_req_id, "seller_id": n.seller_id, "kind": n.kind.value, "text": n.text,
                "created_at": now,
            } for n in notices])

    def written(self) -> None:
        """After the commit that wrote notices: wake the sender, here or elsewhere."""
        self.wake()
        if self._notifications is not None:
            self._notifications.publish(CHANNEL)

    def wake(self) -> None:
        self._wake.set()

    async def wait(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass
        finally:
            self._wake.clear()

    async def unsent(self, *, limit: int, skip: set[int]) -> list[SellerNotice]:
        """Up to `limit` notices not yet settled nor in `skip`, in the order written. (Not "after
        the last id read": on PostgreSQL a lower id can commit after a higher one was read.)"""
        async with self._sessions() as session:
            rows = (await session.scalars(
                select(SellerNoticeRow).where(SellerNoticeRow.sent_at.is_(None))
                .order_by(SellerNoticeRow.id).limit(limit + len(skip)))).all()
        return [SellerNotice(r.order_req_id, r.seller_id, NoticeKind(r.kind), r.text, r.id)
                for r in rows if r.id not in skip][:limit]

    async def settled(self, notice_ids: list[int]) -> None:
        if notice_ids:
            async with write_session(self._sessions) as session:
                await session.execute(update(SellerNoticeRow).where(SellerNoticeRow.id.in_(notice_ids))
                                      .values(sent_at=utcnow()))

"""Seller notices as rows: written in the transaction of the change that causes them, read in
the order written by the one sender, stamped once settled. A Processor that dies with notices
waiting loses none: they are rows until a sender settles them."""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.app.domain.notices import NoticeCard, NoticeKind, SellerNotice
from processor.app.store.tables import SellerNoticeRow
from shared.db.engine import write_session
from shared.db.notifications import Notifications
from shared.models.common import utcnow
from shared.telemetry.tracing import current_traceparent

log = logging.getLogger(__name__)
CHANNEL = "processor_notices"
PAGE = 1000
UNSENT_PAGES = 5


class NoticeOutbox:
    def __init__(self, sessions: async_sessionmaker, notifications: Notifications | None = None, *,
                 retention: timedelta = timedelta(hours=24)) -> None:
        self._sessions = sessions
        self._retention = retention
        self._notifications = notifications
        self._wake = asyncio.Event()
        if notifications is not None:  # the sender may be another replica's
            notifications.on(CHANNEL, lambda _: self._wake.set())

    async def stage(self, session: AsyncSession, notices: list[SellerNotice], now: datetime) -> None:
        """One INSERT of every notice, in the caller's transaction (ids keep their order)."""
        if notices:
            await session.execute(insert(SellerNoticeRow), [{
                "order_req_id": n.order_req_id, "seller_id": n.seller_id, "kind": n.kind.value, "text": n.text,
                "created_at": now, "traceparent": n.traceparent or current_traceparent(),
                "card": n.card.to_json() if n.card else None,
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

    async def unsent(self, *, limit: int, skip: set[int], per_seller: int,
                     held: Counter[str]) -> list[SellerNotice]:
        """Up to `limit` notices not yet settled nor in `skip`, in the order written, at most
        `per_seller` for a seller counting the `held` ones. Not "after the last id read": on
        PostgreSQL a lower id can commit after a higher one was read. A row this version cannot
        read (an unknown kind, a card it cannot read) is stamped and logged, not retried for ever."""
        chosen: list[SellerNotice] = []
        counts = Counter(held)
        after = 0
        for _page in range(UNSENT_PAGES):  # a few pages: past one seller's long backlog, not the whole table
            async with self._sessions() as session:
                rows = (await session.scalars(
                    select(SellerNoticeRow).where(SellerNoticeRow.sent_at.is_(None), SellerNoticeRow.id > after)
                    .order_by(SellerNoticeRow.id).limit(PAGE))).all()
            for row in rows:
                if row.id in skip or counts[row.seller_id] >= per_seller:
                    continue
                try:
                    notice = SellerNotice(row.order_req_id, row.seller_id, NoticeKind(row.kind), row.text, row.id,
                                          row.traceparent, NoticeCard.from_json(row.card) if row.card else None)
                except (ValueError, KeyError, TypeError):
                    log.error("seller notice %d cannot be read (kind %r): not sent", row.id, row.kind)
                    await self.settled([row.id])
                    continue
                chosen.append(notice)
                counts[row.seller_id] += 1
                if len(chosen) >= limit:
                    return chosen
            if len(rows) < PAGE:
                break
            after = rows[-1].id
        return chosen

    async def prune(self) -> None:
        """Forget notices settled longer ago than the retention."""
        async with write_session(self._sessions) as session:
            await session.execute(delete(SellerNoticeRow).where(
                SellerNoticeRow.sent_at < utcnow() - self._retention))

    async def settled(self, notice_ids: list[int]) -> None:
        if notice_ids:
            async with write_session(self._sessions) as session:
                await session.execute(update(SellerNoticeRow).where(SellerNoticeRow.id.in_(notice_ids))
                                      .values(sent_at=utcnow()))

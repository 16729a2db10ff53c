"""The one sender of seller notices: reads them from the notice outbox in the order written,
hands them to the carrier (Google Chat, which paces each space), and stamps each once settled.

It runs on the replica holding the `processor-chat-sender` lock (shared/db/leadership.py), so a
space's pace holds across the whole cluster; the rows make it durable — a Processor killed with
notices waiting loses none: the next holder sends what was not stamped (at least once: one in
flight at the crash may go twice). At most `max_in_flight` wait in the carrier, and at most
`max_per_seller` for one seller (a seller's space that answers slowly or not at all holds up
its own notices, not everyone's); the carrier's backlog is dropped when the term ends. A
database error does not end the term: the loop tries again a little later.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter

from processor.app.domain.notices import SellerNotice, SellerNotifier
from processor.app.store.notice_outbox import NoticeOutbox

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
FINAL_STAMP_SECONDS = 5.0


class NoticeSender:
    def __init__(self, *, outbox: NoticeOutbox, max_in_flight: int, max_per_seller: int, pace_seconds: float,
                 poll_seconds: float = 5.0) -> None:
        self._outbox = outbox
        self._max_in_flight = max_in_flight
        self._max_per_seller = max_per_seller
        self._pace = pace_seconds
        self._poll = poll_seconds
        self._in_flight: dict[int, str] = {}  # notice id → its seller
        self._settled: list[int] = []
        self.handed = 0

    def settled(self, notice: SellerNotice) -> None:
        """The carrier's callback: delivered, skipped or given up on — stamped at the next turn."""
        if notice.notice_id is not None and notice.notice_id in self._in_flight:
            self._settled.append(notice.notice_id)
            self._outbox.wake()

    async def run(self, carrier: SellerNotifier) -> None:
        """This replica's term as the sender, through `carrier` (built with `settled` as its callback)."""
        # The previous holder may have posted to a space just now: a new term waits one interval.
        await asyncio.sleep(self._pace)
        try:
            await self._outbox.prune()
            while True:
                try:
                    await self._stamp()
                    self._hand(carrier, await self._next())
                except Exception:  # the database is away: what is in flight goes on; try again
                    log.warning("seller notices: could not read or stamp; retrying", exc_info=True)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                await self._outbox.wait(self._poll)
        finally:
            # The term ends (stop, or the lock lost): what was not settled is sent by the next holder.
            await carrier.discard()
            try:
                async with asyncio.timeout(FINAL_STAMP_SECONDS):
                    await self._stamp()
            except Exception:
                log.warning("could not stamp settled notices; they may be sent again", exc_info=True)
            self._in_flight.clear()
            self._settled.clear()

    async def _next(self) -> list[SellerNotice]:
        room = self._max_in_flight - len(self._in_flight)
        if room <= 0:
            return []
        return await self._outbox.unsent(limit=room, skip=set(self._in_flight),
                                         per_seller=self._max_per_seller, held=Counter(self._in_flight.values()))

    def _hand(self, carrier: SellerNotifier, notices: list[SellerNotice]) -> None:
        for notice in notices:
            assert notice.notice_id is not None  # read from its row
            self._in_flight[notice.notice_id] = notice.seller_id
            carrier.enqueue(notice)
        self.handed += len(notices)

    async def _stamp(self) -> None:
        done = list(self._settled)
        await self._outbox.settled(done)
        del self._settled[:len(done)]  # only once stamped: a failed stamp is tried again
        for notice_id in done:
            self._in_flight.pop(notice_id, None)

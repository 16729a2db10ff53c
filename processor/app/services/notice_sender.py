"""The one sender of seller notices: reads them from the notice outbox in the order written,
hands them to the carrier (Google Chat, which paces each space), and stamps each once settled.

It runs on the replica holding the `processor-chat-sender` lock (shared/db/leadership.py), so a
space's pace holds across the whole cluster; the rows make it durable — a Processor killed with
notices waiting loses none: the next holder sends what was not stamped (at least once: one in
flight at the crash may go twice). At most `max_in_flight` wait in the carrier at a time (no
space's queue can overflow), and the carrier's own backlog is dropped when the term ends.
"""
from __future__ import annotations

import asyncio
import logging

from processor.app.domain.notices import SellerNotice, SellerNotifier
from processor.app.store.notice_outbox import NoticeOutbox

log = logging.getLogger(__name__)


class NoticeSender:
    def __init__(self, *, outbox: NoticeOutbox, max_in_flight: int, pace_seconds: float,
                 poll_seconds: float = 5.0) -> None:
        self._outbox = outbox
        self._pace = pace_seconds
        self._max_in_flight = max_in_flight
        self._poll = poll_seconds
        self._in_flight: set[int] = set()
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
            while True:
                await self._stamp()
                room = self._max_in_flight - len(self._in_flight)
                notices = await self._outbox.unsent(limit=room, skip=self._in_flight) if room > 0 else []
                for notice in notices:
                    assert notice.notice_id is not None  # read from its row
                    self._in_flight.add(notice.notice_id)
                    carrier.enqueue(notice)
                self.handed += len(notices)
                await self._outbox.wait(self._poll)
        finally:
            # The term ends (stop, or the lock lost): what was not settled is sent by the next holder.
            await carrier.discard()
            try:
                await self._stamp()
            except Exception:
                log.warning("could not stamp settled notices; they may be sent again", exc_info=True)
            self._in_flight.clear()

    async def _stamp(self) -> None:
        done, self._settled = self._settled, []
        await self._outbox.settled(done)
        self._in_flight.difference_update(done)

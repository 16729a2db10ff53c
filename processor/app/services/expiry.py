"""Expiry sweeper: orders past ORDER_EXPIRY_MINUTES and lapsed edit locks, found in the database.

The sweeper sleeps until the next due moment, at most EXPIRY_CHECK_SECONDS.
"""
from __future__ import annotations

import asyncio
import logging
from functools import partial

from processor.app.services.edit_locks import EditLockService
from processor.app.services.orders import OrderService
from processor.app.store.due_work import DueWork
from shared.models.common import utcnow
from shared.utils.task_queue import Priority, PriorityTaskQueue

log = logging.getLogger(__name__)


class ExpirySweeper:
    def __init__(
        self, *, due_work: DueWork, orders: OrderService, edit_locks: EditLockService, queue: PriorityTaskQueue,
        max_sleep_seconds: float,
    ) -> None:
        self._due_work = due_work
        self._orders = orders
        self._edit_locks = edit_locks
        self._queue = queue
        self._max_sleep = max_sleep_seconds

    async def sweep_once(self) -> float:
        """Expire what is due; return seconds until the next known due moment (capped)."""
        due_orders, lapsed_lock_orders = await self._due_work.due(utcnow())
        jobs = [
            self._queue.run(partial(self._orders.expire_if_due, order_id), priority=Priority.CONTROL,
                            deadline=expires_at.timestamp(), name=f"expire:{order_id}")
            for order_id, expires_at in due_orders
        ] + [
            self._queue.run(partial(self._edit_locks.release_lapsed, order_id), priority=Priority.CONTROL,
                            name=f"unlock:{order_id}")
            for order_id in lapsed_lock_orders
        ]
        for outcome in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("expiry job failed", exc_info=outcome)
        next_due = await self._due_work.next_due()
        if next_due is None:
            return self._max_sleep
        return max(0.05, min(self._max_sleep, (next_due - utcnow()).total_seconds()))

    async def run(self) -> None:
        while True:
            try:
                delay = await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("expiry sweep failed; retrying")
                delay = self._max_sleep
            await asyncio.sleep(delay)

"""Expiry sweeper: orders past ORDER_EXPIRY_MINUTES and lapsed edit locks, found in the database.

Reading due work from the database (not timers in memory) is what makes expiry survive a
restart. The sweeper sleeps until the next due moment, at most EXPIRY_CHECK_SECONDS.
"""
from __future__ import annotations

import asyncio
import logging
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from processor.app.db.tables import EditLock, Order
from processor.app.services.orders import OrderService
from processor.app.services.proposals import ProposalService
from processor.app.services.rules import ACTIVE_ORDER_STATES
from shared.models.common import utcnow
from shared.utils.task_queue import Priority, PriorityTaskQueue

log = logging.getLogger(__name__)
_ACTIVE = [s.value for s in ACTIVE_ORDER_STATES]


class ExpirySweeper:
    def __init__(
        self,
        sessions: async_sessionmaker,
        orders: OrderService,
        proposals: ProposalService,
        queue: PriorityTaskQueue,
        *,
        max_sleep_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._orders = orders
        self._proposals = proposals
        self._queue = queue
        self._max_sleep = max_sleep_seconds

    async def sweep_once(self) -> float:
        """Expire what is due; return seconds until the next known due moment (capped)."""
        now = utcnow()
        async with self._sessions() as session:
            due_orders = (await session.execute(
                select(Order.order_req_id, Order.expires_at)
                .where(Order.state.in_(_ACTIVE), Order.expires_at <= now).order_by(Order.expires_at)
            )).all()
            lapsed_lock_orders = (await session.scalars(
                select(EditLock.order_req_id).where(EditLock.expires_at <= now).distinct()
            )).all()
        jobs = [
            self._queue.run(partial(self._orders.expire_if_due, order_id), priority=Priority.CONTROL,
                            deadline=expires_at.timestamp(), name=f"expire:{order_id}")
            for order_id, expires_at in due_orders
        ] + [
            self._queue.run(partial(self._proposals.release_lapsed_locks, order_id), priority=Priority.CONTROL,
                            name=f"unlock:{order_id}")
            for order_id in lapsed_lock_orders
        ]
        for outcome in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("expiry job failed", exc_info=outcome)
        async with self._sessions() as session:
            next_order = await session.scalar(select(func.min(Order.expires_at)).where(Order.state.in_(_ACTIVE)))
            next_lock = await session.scalar(select(func.min(EditLock.expires_at)))
        upcoming = [t for t in (next_order, next_lock) if t is not None]
        if not upcoming:
            return self._max_sleep
        return max(0.05, min(self._max_sleep, (min(upcoming) - utcnow()).total_seconds()))

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

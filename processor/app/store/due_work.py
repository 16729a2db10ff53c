"""What is due: orders past their expiry and lapsed edit locks, read from the database.

Reading due work from the database (not timers in memory) is what makes expiry survive a restart.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from processor.app.domain.orders import ACTIVE_ORDER_STATES
from processor.app.store.tables import EditLock, Order

_ACTIVE = [s.value for s in ACTIVE_ORDER_STATES]


class DueWork:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def due(self, now: datetime) -> tuple[list[tuple[str, datetime]], list[str]]:
        """(active orders past expiry with their expiry, soonest first; orders holding a lapsed lock)."""
        async with self._sessions() as session:
            orders = (await session.execute(
                select(Order.order_req_id, Order.expires_at)
                .where(Order.state.in_(_ACTIVE), Order.expires_at <= now).order_by(Order.expires_at)
            )).all()
            locked = (await session.scalars(
                select(EditLock.order_req_id).where(EditLock.expires_at <= now).distinct()
            )).all()
        return [(order_id, expires_at) for order_id, expires_at in orders], list(locked)

    async def next_due(self) -> datetime | None:
        """The soonest moment anything falls due: an active order's expiry or an edit lock's."""
        async with self._sessions() as session:
            next_order = await session.scalar(select(func.min(Order.expires_at)).where(Order.state.in_(_ACTIVE)))
            next_lock = await session.scalar(select(func.min(EditLock.expires_at)))
        upcoming = [t for t in (next_order, next_lock) if t is not None]
        return min(upcoming) if upcoming else None

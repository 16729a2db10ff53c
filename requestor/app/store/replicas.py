"""The live Requestor replicas, as their heartbeats in the shared database say."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from requestor.app.store.tables import Order, Replica
from shared.db.engine import write_session
from shared.models.states import TERMINAL_ORDER_STATES


class ReplicaRegistry:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def heartbeat(self, replica_id: str, *, lease: timedelta) -> list[str]:
        """Record this replica alive now, forget replicas silent for longer than `lease`, and
        return the live ones (this one included), sorted. "Now" is the database's clock, one for
        every replica: a replica whose own clock is off neither outlives its death nor looks dead."""
        async with write_session(self._sessions) as session:
            now = (await session.execute(select(func.now()))).scalar_one()
            row = await session.get(Replica, replica_id)
            if row is None:
                session.add(Replica(replica_id=replica_id, heartbeat_at=now))
            else:
                row.heartbeat_at = now
            await session.execute(delete(Replica).where(Replica.heartbeat_at < now - lease))
            live = (await session.scalars(select(Replica.replica_id).order_by(Replica.replica_id))).all()
        return list(live)

    async def leave(self, replica_id: str) -> None:
        async with write_session(self._sessions) as session:
            await session.execute(delete(Replica).where(Replica.replica_id == replica_id))

    async def open_orders(self) -> list[str]:
        """Every order whose stream is still to be followed (not in a terminal state)."""
        async with self._sessions() as session:
            rows = await session.scalars(select(Order.order_req_id).where(
                Order.state.not_in([s.value for s in TERMINAL_ORDER_STATES])))
            return list(rows)

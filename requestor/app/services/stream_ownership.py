"""Which Requestor replica follows which open order's stream: exactly one at a time, spread
evenly, moved when a replica dies or joins.

Every replica heartbeats into the shared database (`replicas`, every HEARTBEAT_SECONDS) and
reads the others'; a replica silent for REPLICA_LEASE_SECONDS is dead. An order belongs to the
live replica with the highest hash of (order, replica) — rendezvous hashing: every replica
computes the same owner from the same live set, orders spread evenly, and when the set changes
only the orders of the replica that left (or a share, to the one that joined) move. A new order
is announced through PostgreSQL so its owner follows it at once; each heartbeat also reconciles
what this replica follows with what it owns. While membership changes, two replicas may follow
one order for a moment: harmless, since applying is idempotent by seq. The database is the
coordinator on purpose: a Requestor cannot serve buyers without it anyway, while Kafka's group
coordination would make buyers' streams stop with Kafka. SQLite is one process: it owns all.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol

from requestor.app.store.replicas import ReplicaRegistry
from shared.db.notifications import Notifications

log = logging.getLogger(__name__)
CHANNEL = "requestor_open_orders"
RECONCILE_BEATS = 10


class Streams(Protocol):
    def follow(self, order_req_id: str) -> None: ...

    def unfollow(self, order_req_id: str) -> None: ...

    @property
    def followed(self) -> set[str]: ...


def owner(order_req_id: str, replicas: Iterable[str]) -> str:
    """The replica with the highest hash of (order, replica): the same answer on every replica."""
    return max(replicas, key=lambda r: hashlib.blake2b(f"{order_req_id}|{r}".encode(), digest_size=8).digest())


class StreamOwnership:
    def __init__(
        self, *, registry: ReplicaRegistry, streams: Streams, notifications: Notifications,
        heartbeat_seconds: float, lease_seconds: float,
    ) -> None:
        self.replica_id = secrets.token_hex(8)
        self._registry = registry
        self._streams = streams
        self._notifications = notifications
        self._heartbeat = heartbeat_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._shared = notifications.enabled  # PostgreSQL: replicas may share the database
        self.live: list[str] = [self.replica_id]
        self._beats_to_reconcile = RECONCILE_BEATS
        self._task: asyncio.Task | None = None
        notifications.on(CHANNEL, self._announced)

    def describe(self) -> str:
        """For readiness: this replica's share (the others follow the rest)."""
        return (f"following {len(self._streams.followed)} open orders as replica {self.replica_id} "
                f"of {len(self.live)} live")

    def owns(self, order_req_id: str) -> bool:
        return not self._shared or owner(order_req_id, self.live) == self.replica_id

    def opened(self, order_req_id: str) -> None:
        """A new order was stored (call after the commit): its owner follows it, this replica or,
        told through PostgreSQL, another."""
        self._follow_if_mine(order_req_id)
        self._notifications.publish(CHANNEL, [order_req_id])

    def _follow_if_mine(self, order_req_id: str) -> None:
        if self.owns(order_req_id):
            self._streams.follow(order_req_id)

    def _announced(self, order_req_id: str | None) -> None:
        if order_req_id:
            self._follow_if_mine(order_req_id)

    async def start(self) -> int:
        """Join, follow this replica's share of the open orders, and keep heartbeating."""
        await self._beat()
        following = await self._reconcile()
        if self._shared:
            self._task = asyncio.create_task(self._run(), name="stream-ownership")
        return following

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._shared:  # the others take this replica's orders at their next heartbeat, not after the lease
            try:
                await self._registry.leave(self.replica_id)
            except Exception:
                log.warning("could not leave the replica registry; the others wait for the lease", exc_info=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                await self._beat()
                # Every open order is read when membership changes, else every RECONCILE_BEATS
                # (the safety net for a missed announcement): O(open orders), not every second.
                self._beats_to_reconcile -= 1
                if self._beats_to_reconcile <= 0:
                    await self._reconcile()
                    self._beats_to_reconcile = RECONCILE_BEATS
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: keep following what is followed
                log.warning("stream ownership heartbeat failed; retrying", exc_info=True)

    async def _beat(self) -> None:
        if not self._shared:
            return
        live = await self._registry.heartbeat(self.replica_id, lease=self._lease)
        if live != self.live:
            log.info("requestor replicas: %d live (%s)", len(live), ", ".join(live))
            self._beats_to_reconcile = 0  # membership changed: orders move now
        self.live = live

    async def _reconcile(self) -> int:
        """Follow every open order this replica owns; let go of those it no longer owns."""
        for order in self._streams.followed:
            if not self.owns(order):
                self._streams.unfollow(order)
        mine = [order for order in await self._registry.open_orders() if self.owns(order)]
        for order in mine:
            self._streams.follow(order)
        return len(mine)

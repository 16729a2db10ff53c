"""Replay-then-tail of a per-order event sequence: the gRPC stream and the buyer's SSE both use it.

A reader replays what is stored after its last seq, then waits for a wake-up (a commit in this
process) or `poll_seconds` (a commit elsewhere), and reads again. The database is the only
source of what is sent; a wake-up only says "look again".
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager

from shared.models.events import OrderEvent


class Wakeups:
    """Per-order wake-up events for the readers in this process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Event]] = defaultdict(set)
        self.closing = False

    def notify(self, order_req_id: str) -> None:
        for wake in self._subscribers.get(order_req_id, ()):
            wake.set()

    @contextmanager
    def subscribe(self, order_req_id: str) -> Iterator[asyncio.Event]:
        wake = asyncio.Event()
        self._subscribers[order_req_id].add(wake)
        try:
            yield wake
        finally:
            subscribers = self._subscribers[order_req_id]
            subscribers.discard(wake)
            if not subscribers:
                del self._subscribers[order_req_id]

    def close(self) -> None:
        """End every reader (shutdown): their clients reconnect, here after a restart or elsewhere."""
        self.closing = True
        for subscribers in self._subscribers.values():
            for wake in subscribers:
                wake.set()

    @property
    def readers(self) -> int:
        return sum(len(s) for s in self._subscribers.values())


async def tail(
    wakeups: Wakeups,
    order_req_id: str,
    after_seq: int,
    read_after: Callable[[str, int], Awaitable[list[OrderEvent]]],
    *,
    poll_seconds: float,
) -> AsyncIterator[OrderEvent]:
    """Events after `after_seq`, then live ones; ends after the terminal event (or at close)."""
    with wakeups.subscribe(order_req_id) as wake:
        while not wakeups.closing:
            wake.clear()  # before reading, so a commit during the read is not missed
            events = await read_after(order_req_id, after_seq)
            for event in events:
                yield event
                after_seq = event.seq
                if event.is_terminal:
                    return
            if not events:
                try:
                    await asyncio.wait_for(wake.wait(), poll_seconds)
                except TimeoutError:
                    pass

"""Replay-then-tail of a per-order event sequence: the gRPC stream and the buyer's SSE both use it.

A reader replays what is stored after its last seq, then waits for a wake-up (a commit in this
process) or `poll_seconds` (a commit elsewhere). A wake-up hands over the events just committed:
when they follow the reader's last seq without a gap they are sent as they are (no database
read per event); otherwise — a gap, a commit by another replica, a reader far behind — the
reader reads the database again, which stays the source of truth.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager

from shared.models.events import OrderEvent


class Subscription:
    """One reader's wake-up, and the events committed since it last looked (in seq order)."""

    MAX_HANDED_OVER = 1000  # a reader that falls this far behind reads the database instead

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.handed_over: list[OrderEvent] = []
        self.overflowed = False

    def deliver(self, events: Sequence[OrderEvent]) -> None:
        if len(self.handed_over) + len(events) > self.MAX_HANDED_OVER:
            self.overflowed = True
            self.handed_over.clear()
        elif not self.overflowed:
            self.handed_over.extend(events)
        self.wake.set()

    def take(self, after_seq: int) -> list[OrderEvent] | None:
        """The handed-over events that follow `after_seq` without a gap; None: read the database."""
        events, overflowed = self.handed_over, self.overflowed
        self.handed_over, self.overflowed = [], False
        events = [e for e in events if e.seq > after_seq]
        if overflowed or not events or events[0].seq != after_seq + 1:
            return None
        if any(b.seq != a.seq + 1 for a, b in zip(events, events[1:])):
            return None
        return events


class Wakeups:
    """Per-order wake-ups for the readers in this process, carrying the events just committed."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self.closing = False

    def notify(self, order_req_id: str, events: Sequence[OrderEvent] = ()) -> None:
        """Call after the commit, in commit order for the order (its writers are serialised)."""
        for subscription in self._subscribers.get(order_req_id, ()):
            subscription.deliver(events)

    @contextmanager
    def subscribe(self, order_req_id: str) -> Iterator[Subscription]:
        subscription = Subscription()
        self._subscribers[order_req_id].add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers[order_req_id]
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[order_req_id]

    def close(self) -> None:
        """End every reader (shutdown): their clients reconnect, here after a restart or elsewhere."""
        self.closing = True
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.wake.set()

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
    with wakeups.subscribe(order_req_id) as subscription:
        events, from_database = await read_after(order_req_id, after_seq), True
        while not wakeups.closing:
            for event in events:
                yield event
                after_seq = event.seq
                if event.is_terminal:
                    return
            if not (from_database and events):  # a database page may have more behind it; else wait
                try:
                    await asyncio.wait_for(subscription.wake.wait(), poll_seconds)
                except TimeoutError:
                    pass
            subscription.wake.clear()  # before reading, so a commit during the read is not missed
            handed_over = subscription.take(after_seq)
            if handed_over is not None:
                events, from_database = handed_over, False
            else:
                events, from_database = await read_after(order_req_id, after_seq), True

"""Replay-then-tail of a per-order event sequence: the gRPC stream and the buyer's SSE both use it.

A reader replays what is stored after its last seq, then waits for a wake-up: a commit in this
process, or the shared poller finding the order further on (a commit elsewhere). A commit's
wake-up hands over the events just committed:
when they follow the reader's last seq without a gap they are sent as they are (no database
read per event); otherwise — a gap, a commit by another replica, a reader far behind — the
reader reads the database again, which stays the source of truth.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise

from shared.models.events import OrderEvent

log = logging.getLogger(__name__)
LatestSeqs = Callable[[list[str]], Awaitable[dict[str, int]]]


class Subscription:
    """One reader's wake-up, and the events committed since it last looked (in seq order)."""

    MAX_HANDED_OVER = 1000  # a reader that falls this far behind reads the database instead

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.handed_over: list[OrderEvent] = []
        self.overflowed = False
        self.seen_seq = 0  # the last seq its reader has sent

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
        if any(b.seq != a.seq + 1 for a, b in pairwise(events)):
            return None
        return events


class Wakeups:
    """Per-order wake-ups for the readers in this process, carrying the events just committed.

    With `latest_seqs`, one poller looks every `poll_seconds` at the last seq of every order
    being read — one query per 500 orders, however many readers — and wakes the readers that
    are behind (events written by another replica). Readers themselves never poll.
    """

    POLL_CHUNK = 500

    def __init__(self, latest_seqs: LatestSeqs | None = None, *, poll_seconds: float = 2.0) -> None:
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self._latest_seqs = latest_seqs
        self._poll_seconds = poll_seconds
        self._poller: asyncio.Task | None = None
        self.closing = False

    def start(self) -> None:
        if self._latest_seqs is not None and self._poller is None:
            self._poller = asyncio.create_task(self._poll(self._latest_seqs), name="tail-poller")

    async def _poll(self, latest_seqs: LatestSeqs) -> None:
        while not self.closing:
            await asyncio.sleep(self._poll_seconds)
            orders = list(self._subscribers)
            for start in range(0, len(orders), self.POLL_CHUNK):
                try:
                    latest = await latest_seqs(orders[start:start + self.POLL_CHUNK])
                except Exception:  # the database may be away; readers are woken by local commits meanwhile
                    log.warning("polling the order logs failed; retrying in %.1f s", self._poll_seconds, exc_info=True)
                    break
                for order_req_id, seq in latest.items():
                    for subscription in list(self._subscribers.get(order_req_id, ())):
                        if seq > subscription.seen_seq:
                            subscription.deliver(())

    def wake_all(self) -> None:
        """Every reader looks at the database (commits elsewhere may have gone unannounced)."""
        for subscriptions in list(self._subscribers.values()):
            for subscription in subscriptions:
                subscription.deliver(())

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
        if self._poller is not None:
            self._poller.cancel()
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
) -> AsyncGenerator[OrderEvent]:
    """Events after `after_seq`, then live ones; ends after the terminal event (or at close)."""
    with wakeups.subscribe(order_req_id) as subscription:
        subscription.seen_seq = after_seq
        events, from_database = await read_after(order_req_id, after_seq), True
        event: OrderEvent | None = None
        while not wakeups.closing:
            for event in events:
                yield event
                after_seq = subscription.seen_seq = event.seq
                if event.is_terminal:
                    return
            more = from_database and bool(events)  # a database page may have more behind it; else wait
            events, event = [], None  # an idle reader holds no events: 10,000 idle streams held their replays
            if not more:
                await subscription.wake.wait()
            subscription.wake.clear()  # before reading, so a commit during the read is not missed
            handed_over = subscription.take(after_seq)
            if handed_over is not None:
                events, from_database = handed_over, False
            else:
                events, from_database = await read_after(order_req_id, after_seq), True

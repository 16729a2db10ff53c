"""_NotifyGChat: Google Chat incoming-webhook messages to sellers, one thread per order.

POST {webhook}&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD with
{"text": ..., "thread": {"threadKey": <OrderReqId>}}. Google accepts about one message a
second per space, so each space has its own queue, drained in order no faster than
GCHAT_MESSAGES_PER_SECOND (retries count too; counted from when each POST actually goes out).
429 and 5xx are retried (tenacity), honouring Retry-After up to MAX_RETRY_AFTER_SECONDS; after
GCHAT_MAX_ATTEMPTS the notice is recorded as failed. `enqueue()` only queues: a notice never slows
or fails the request that caused it.

Slots: a notice holds a slot of the shared task queue (`run_job`, MAX_CONCURRENT_TASKS) only while
its one HTTP request is in flight: the wait for the space's pacer and the sleep before a retry
happen outside it, so a space that answers 429 Retry-After: 120 parks its own queue, never the
server's. And the POSTs have their own small bound as well (`max_concurrent_posts`; the processor
gives half of MAX_CONCURRENT_TASKS): a webhook that hangs until the timeout holds a shared slot
for that long, so without it a dozen such spaces could still fill every slot. Both, not either:
the shared queue keeps a POST behind CONTROL and NEW_WORK jobs (it is BACKGROUND) and counted in
the server's bound; the own bound guarantees the rest of the slots are always free for other work.

Bounded: at most GCHAT_MAX_QUEUED_PER_SPACE notices wait per space (plus the one being delivered),
and at most `max_intake` (INTAKE_FACTOR times that, by default) wait to be routed. A notice that
finds its queue full is dropped: counted (`stats.dropped`), logged (without the webhook URL: its
`key=` and `token=` are secrets) and recorded through `on_failure` like a delivery that gave up.
A notice that cannot be routed (its seller's webhook is not a valid URL, or the directory lookup
failed) fails alone, counted and recorded the same way; the other notices routed with it go on.

Every notice goes out as google_chat_messages.chat_message() writes it (a card and its text line):
users' words are shown, never interpreted.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from processor.app.adapters.google_chat_messages import chat_message
from processor.app.domain.notices import SellerNotice
from shared.telemetry.tracing import continued_span

log = logging.getLogger(__name__)
REPLY_OPTION = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
INTAKE_FACTOR = 10  # the intake (notices not yet routed to a space) holds this many per-space bounds
DROP_WARNING_SECONDS = 10.0  # a flood of drops logs one warning per interval, with the count
# The longest Retry-After honoured: a space asking for more waits this long (then the next attempt
# counts against GCHAT_MAX_ATTEMPTS), so no notice is parked for as long as a space likes.
MAX_RETRY_AFTER_SECONDS = 60.0
DEFAULT_MAX_CONCURRENT_POSTS = 4  # Chat POSTs in flight at once, across all spaces

class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _GiveUp(Exception):
    pass


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _wait(max_retry_after: float, retry_state: RetryCallState) -> float:
    """Retry-After when Google sent one (at most `max_retry_after`); otherwise exponential backoff from 0.5 s."""
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    if isinstance(exc, _Retry) and exc.retry_after is not None:
        return min(exc.retry_after, max_retry_after)
    return min(30.0, 0.5 * 2 ** (retry_state.attempt_number - 1))


class Pacer:
    """Starts at least 1/per_second apart, counted from when each actually starts: `wait()` for the
    turn (holding nothing), then `started()` the moment the request goes out, which may be later
    (a task-queue slot to wait for). One space's worker uses its pacer, one request at a time."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        while (delay := self._next - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    def started(self) -> None:
        self._next = time.monotonic() + self._interval


@dataclass
class ChatStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    dropped: int = 0  # found their queue full: never sent, recorded as failed
    recent_failures: deque = field(default_factory=lambda: deque(maxlen=100))


@dataclass
class _Space:
    queue: asyncio.Queue
    pacer: Pacer
    worker: asyncio.Task | None = None


class GoogleChatNotifier:
    def __init__(
        self,
        http: httpx.AsyncClient,
        webhooks_of: Callable[[list[str]], Awaitable[dict[str, str | None]]],
        *,
        base_url: str | None,
        per_second: float,
        max_attempts: int,
        timeout: float = 10.0,
        on_failure: Callable[[SellerNotice, str], Awaitable[None]] | None = None,
        on_settled: Callable[[SellerNotice], None] | None = None,
        run_job: Callable[[Callable[[], Awaitable[None]]], Awaitable[None]] | None = None,
        max_queued_per_space: int = 1000,
        max_intake: int | None = None,
        max_concurrent_posts: int = DEFAULT_MAX_CONCURRENT_POSTS,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        link_for: Callable[[str, str, datetime | None], str | None] = lambda _seller, _order, _until: None,
    ) -> None:
        self._http = http
        self._webhooks_of = webhooks_of
        self._base_url = base_url
        self._per_second = per_second
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._on_failure = on_failure
        self._on_settled = on_settled or (lambda _notice: None)  # delivered, or given up on: either way done
        # Each POST (one attempt, nothing else) runs as a job on the shared priority queue when
        # given (background work, bounded by MAX_CONCURRENT_TASKS); tests run it inline.
        self._run_job = run_job or (lambda job: job())
        self._posts = asyncio.Semaphore(max_concurrent_posts)  # Chat's own bound on POSTs in flight
        # POSTs running in a task-queue slot: cancelling the worker that waits for one does not stop
        # it, so discard() waits for these to end (none may land after another replica's first).
        self._posting = 0
        self._none_posting = asyncio.Event()
        self._none_posting.set()
        self._max_retry_after = max_retry_after
        # The seller page for (seller, order, the order's expiry), signed as each message goes out.
        self._link_for = link_for
        self._max_queued_per_space = max_queued_per_space
        intake = max_intake if max_intake is not None else INTAKE_FACTOR * max_queued_per_space
        self._intake: asyncio.Queue[SellerNotice] = asyncio.Queue(maxsize=intake)
        self._router: asyncio.Task | None = None
        self._spaces: dict[str, _Space] = {}
        # Drops and routing failures are recorded (on_failure) by one task, in order, off the request
        # and off the router; this queue is bounded like the intake: beyond it one is counted and
        # logged only.
        self._drops: asyncio.Queue[tuple[SellerNotice, str]] = asyncio.Queue(maxsize=intake)
        self._drop_recorder: asyncio.Task | None = None
        self._drops_unwarned = 0
        self._next_drop_warning = 0.0
        self.stats = ChatStats()

    def enqueue(self, notice: SellerNotice) -> None:
        """Never blocks, never raises: with the intake full the notice is dropped and recorded."""
        if self._router is None or self._router.done():
            self._router = asyncio.create_task(self._route(), name="gchat-router")
        try:
            self._intake.put_nowait(notice)
        except asyncio.QueueFull:
            self._drop(notice, f"intake queue full ({self._intake.maxsize} notices waiting to be routed)")

    async def _route(self) -> None:
        """In arrival order: find the sellers' webhooks (one lookup for all the notices waiting),
        queue each notice for its space."""
        while True:
            notices = [await self._intake.get()]
            while not self._intake.empty():
                notices.append(self._intake.get_nowait())
            try:
                await self._route_batch(notices)
            finally:
                for _ in notices:
                    self._intake.task_done()

    async def _route_batch(self, notices: list[SellerNotice]) -> None:
        """Each notice fails alone: a directory hiccup fails these notices (not the router), a bad
        webhook fails its own notices (not the others of the batch); every one is recorded."""
        try:
            webhooks = await self._webhooks_of(sorted({n.seller_id for n in notices}))
        except Exception as exc:  # recorded per notice
            log.exception("could not look up the webhooks of %d notices", len(notices))
            for notice in notices:
                self._not_routed(notice, f"could not look up the seller's webhook ({type(exc).__name__})")
            return
        for notice in notices:
            try:
                self._route_one(notice, webhooks.get(notice.seller_id))
            except httpx.InvalidURL as exc:  # its message names a position or a host, never key= or token=
                self._not_routed(notice, f"invalid webhook URL: {exc}")
            except Exception as exc:  # noqa: BLE001 - recorded; the next notice goes on
                self._not_routed(notice, f"could not route the notice ({type(exc).__name__})")

    def _route_one(self, notice: SellerNotice, webhook: str | None) -> None:
        if not webhook:
            self.stats.skipped += 1
            self._on_settled(notice)
            return
        if self._base_url and not webhook.startswith("http"):  # a path on the configured API base
            url = httpx.URL(self._base_url).join(webhook)
        else:
            url = httpx.URL(webhook)
        space = self._spaces.get(url.path)
        if space is not None and (space.worker is None or space.worker.done()):  # cut short by a discard
            space.worker = asyncio.create_task(self._drain(space), name=f"gchat:{url.path}")
        if space is None:
            space = self._spaces[url.path] = _Space(asyncio.Queue(self._max_queued_per_space),
                                                    Pacer(self._per_second))
            space.worker = asyncio.create_task(self._drain(space), name=f"gchat:{url.path}")
        try:
            space.queue.put_nowait((url, notice))
        except asyncio.QueueFull:
            self._drop(notice, f"space queue full ({space.queue.maxsize} notices waiting)")

    def _failure(self, notice: SellerNotice, reason: str) -> None:
        self.stats.recent_failures.append(
            {"order_req_id": notice.order_req_id, "seller_id": notice.seller_id, "kind": notice.kind.value,
             "reason": reason})

    def _not_routed(self, notice: SellerNotice, reason: str) -> None:
        """Count, log (seller and order only: never the webhook) and record a notice that found no space."""
        self.stats.failed += 1
        self._failure(notice, reason)
        log.error("Google Chat notice to %s about %s failed: %s", notice.seller_id, notice.order_req_id, reason)
        self._record(notice, reason)
        self._on_settled(notice)

    def _drop(self, notice: SellerNotice, reason: str) -> None:
        """Count, log (seller and order only: never the webhook) and record a notice not queued."""
        self.stats.dropped += 1
        self._failure(notice, reason)
        self._drops_unwarned += 1
        now = time.monotonic()
        if now >= self._next_drop_warning:
            log.warning("Google Chat notice to %s about %s dropped: %s (%d dropped since the last warning)",
                        notice.seller_id, notice.order_req_id, reason, self._drops_unwarned)
            self._drops_unwarned = 0
            self._next_drop_warning = now + DROP_WARNING_SECONDS
        self._record(notice, reason)
        self._on_settled(notice)

    def _record(self, notice: SellerNotice, reason: str) -> None:
        """Hand a notice that was never delivered to the recorder (on_failure), without waiting."""
        if self._on_failure is None:
            return
        if self._drop_recorder is None:
            self._drop_recorder = asyncio.create_task(self._record_drops(), name="gchat-drops")
        with contextlib.suppress(asyncio.QueueFull):  # counted above; recording them all would be unbounded
            self._drops.put_nowait((notice, reason))

    async def _record_drops(self) -> None:
        while True:
            notice, reason = await self._drops.get()
            try:
                if self._on_failure is not None:
                    await self._on_failure(notice, reason)
            except Exception:  # recording must not stop the recorder
                log.exception("could not record the undelivered notice")
            finally:
                self._drops.task_done()

    async def _drain(self, space: _Space) -> None:
        while True:
            url, notice = await space.queue.get()
            try:
                with continued_span("google chat notice", notice.traceparent, notice_kind=notice.kind.value):
                    await self._deliver(space.pacer, url, notice)
                self._on_settled(notice)
            except Exception as exc:  # noqa: BLE001 - recorded; the next notice goes on
                self.stats.failed += 1
                self._failure(notice, str(exc))
                log.error("Google Chat notice to %s about %s failed: %s", notice.seller_id, notice.order_req_id, exc)
                if self._on_failure is not None:
                    try:
                        await self._on_failure(notice, str(exc))
                    except Exception:  # recording must not stop the queue
                        log.exception("could not record the failed notice")
                self._on_settled(notice)
            finally:
                space.queue.task_done()

    async def _deliver(self, pacer: Pacer, url: httpx.URL, notice: SellerNotice) -> None:
        """Attempts, each: the space's turn, then Chat's own bound, then a task-queue slot for the
        one POST. Waiting for the turn and sleeping before a retry hold no slot of either."""
        target = url.copy_merge_params({"messageReplyOption": REPLY_OPTION})
        # Only a card has the button: a notice without one (a text-only client's line) carries no link.
        link = self._link_for(notice.seller_id, notice.order_req_id, notice.card.expires_at) if notice.card else None
        body = chat_message(notice, link)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts), wait=partial(_wait, self._max_retry_after),
            retry=retry_if_exception_type(_Retry), reraise=True,
            before_sleep=lambda _state: setattr(self.stats, "retried", self.stats.retried + 1),
        )
        async for attempt in retrying:
            with attempt:
                await pacer.wait()
                async with self._posts:
                    await self._run_job(partial(self._post, pacer, target, body))
        self.stats.sent += 1

    async def _post(self, pacer: Pacer, target: httpx.URL, body: dict) -> None:
        """One attempt: the only code that runs in a task-queue slot."""
        self._posting += 1
        self._none_posting.clear()
        try:
            await self._post_once(pacer, target, body)
        finally:
            self._posting -= 1
            if not self._posting:
                self._none_posting.set()

    async def _post_once(self, pacer: Pacer, target: httpx.URL, body: dict) -> None:
        pacer.started()
        try:
            response = await self._http.post(target, json=body, timeout=self._timeout)
        except httpx.TransportError as exc:
            raise _Retry(f"unreachable: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code >= 400:
            raise _GiveUp(f"HTTP {response.status_code}: {response.text[:200]}")

    async def idle(self) -> None:
        """Wait until every queued notice has been sent or given up, and every drop recorded (tests, shutdown)."""
        await self._intake.join()
        await asyncio.gather(*(s.queue.join() for s in self._spaces.values()))
        await self._drops.join()

    async def discard(self) -> None:
        """Forget every notice taken and not yet settled — routing, queued, or being posted (this
        replica no longer sends: another does, from the rows). The pacing of each space is kept."""
        workers = [s.worker for s in self._spaces.values() if s.worker]
        if self._router is not None:
            workers.append(self._router)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await self._none_posting.wait()  # a POST already under way ends (bounded by its timeout)
        self._router = None
        self._intake = asyncio.Queue(maxsize=self._intake.maxsize)
        for space in self._spaces.values():
            space.queue = asyncio.Queue(self._max_queued_per_space)
            space.worker = asyncio.create_task(self._drain(space), name="gchat-space")

    async def close(self) -> None:
        workers = [s.worker for s in self._spaces.values() if s.worker] + [
            task for task in (self._router, self._drop_recorder) if task is not None]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
